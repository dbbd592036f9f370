"""Print a shared cable as the parser numbers it, for writing and checking questions by hand.

    python eval/show_paragraphs.py DOC_ID [DOC_ID ...]

The paragraph numbers are the ¶ numbers citations use; a gold quote must lie inside one paragraph.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.parse.loaders import iter_documents  # noqa: E402
from qa.types import Document  # noqa: E402

CABLES = ROOT.parent / "shared" / "corpus" / "cables"


def main() -> None:
    for doc_id in sys.argv[1:]:
        for doc in iter_documents([CABLES / f"{doc_id}.txt"]):
            if not isinstance(doc, Document):
                print(f"{doc_id}: not parsed: {doc}")
                continue
            meta = doc.metadata
            print(f"=== {doc.doc_id}  {meta.get('origin')}  {meta.get('created')}  {doc.title or ''}")
            for p in doc.paragraphs:
                print(f"[¶{p.n}] {p.text}\n")


if __name__ == "__main__":
    main()
