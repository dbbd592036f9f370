"""Check a question set's gold paragraphs against the real parser: every quote must lie in its paragraph.

    python eval/check_gold.py [DATASET] [--corpus DIR]

DATASET defaults to eval/cables-dev.jsonl; DIR to ../shared/corpus/cables beside the checkout. Each
gold document is read from ``DIR/<doc_id>.txt`` (the whole folder is parsed if a file is missing),
parsed with ``qa.parse.loaders``, and every ``{doc_id, paragraph, quote}`` is checked. Exit status 1 when
any gold entry is wrong, with one line per problem saying where the quote really is.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.errors import QAError  # noqa: E402
from qa.evaluation.dataset import load_dataset  # noqa: E402
from qa.evaluation.gold import gold_problems  # noqa: E402
from qa.types import Document  # noqa: E402

DEFAULT_DATASET = ROOT / "eval" / "cables-dev.jsonl"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"


def load_documents(corpus: Path, doc_ids: set[str]) -> dict[str, Document]:
    """The parsed documents with these ids, read with the project's own loader."""
    from qa.parse.loaders import iter_documents

    paths = [corpus / f"{doc_id}.txt" for doc_id in sorted(doc_ids)]
    if not all(path.is_file() for path in paths):
        paths = [corpus]  # ids that are not file names: parse the whole folder
    documents: dict[str, Document] = {}
    for item in iter_documents([p for p in paths if p.exists()]):
        if isinstance(item, Document) and item.doc_id in doc_ids:
            documents[item.doc_id] = item
        elif not isinstance(item, Document):
            print(f"warning: {item.source}: {item.reason}", file=sys.stderr)
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of cable files")
    args = parser.parse_args(argv)
    try:
        questions = load_dataset(args.dataset)
    except QAError as exc:
        print(f"check_gold: {exc}", file=sys.stderr)
        return 2
    if not args.corpus.is_dir():
        print(f"check_gold: corpus folder {args.corpus} does not exist (give --corpus)", file=sys.stderr)
        return 2
    doc_ids = {g.doc_id for q in questions for g in q.gold}
    problems = gold_problems(questions, load_documents(args.corpus, doc_ids))
    for line in problems:
        print(line)
    types = Counter(q.type or "untyped" for q in questions)
    n_gold = sum(len(q.gold) for q in questions)
    print(
        f"{len(questions)} questions ({', '.join(f'{k} {v}' for k, v in sorted(types.items()))}), "
        f"{n_gold} gold paragraphs in {len(doc_ids)} documents: {len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
