"""Prompt templates, loaded by name from a folder (this package's own by default), and the sentinel strings.

A prompt named ``answer`` is four files: ``answer.system.txt`` (the rules), ``answer.examples.txt``
(few-shot examples), ``answer.context.txt`` (how passages and the question are laid out) and
``answer.passage.txt`` (one passage). The ``check`` prompt (does this text answer this question?) has
a system, an examples and a context file. Templates refer to the sentinels through ``{placeholders}``
so the exact strings the code checks for are written only here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError

# The packaged templates lie beside this module; setting ``answer.prompts_dir`` replaces the folder.
PROMPTS_DIR = Path(__file__).resolve().parent

# What the model must say, word for word, when the passages do not answer the question; also the
# answer text of every abstention.
ABSTAIN = "The indexed documents do not answer this."

# The check prompt's two verdicts, as its examples write them.
YES, NO = "Yes", "No"

SENTINELS = {"abstain": ABSTAIN}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Chat-template control tokens (``<|im_start|>``, ``<|endoftext|>``...) in a passage or question could
# close the user turn and open a fake one; they are removed before anything reaches the prompt.
_CONTROL_TOKEN = re.compile(r"<\|[^|<>]{0,40}\|>|</?s>")


def render(template: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders in one pass; inserted values are never re-read as placeholders."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values))
            raise QAError(f"prompt template uses {{{name}}}, which is not one of: {known}")
        return values[name]

    return _PLACEHOLDER.sub(fill, template)


def sanitize(text: str) -> str:
    """Text from documents or users, made safe to place inside a prompt."""
    return _CONTROL_TOKEN.sub(" ", text)


@dataclass(frozen=True)
class Example:
    """One few-shot example: the passages shown (source, text), the question and the ideal answer."""

    passages: tuple[tuple[str, str], ...]
    question: str
    answer: str


@dataclass(frozen=True)
class PromptSet:
    """The loaded templates of one prompt name."""

    name: str
    system: str
    context: str
    passage: str
    examples: tuple[Example, ...]


def _read(folder: Path, name: str, part: str) -> str:
    path = folder / f"{name}.{part}.txt"
    try:
        return path.read_text(encoding="utf-8").strip("\n")
    except FileNotFoundError as exc:
        known = sorted({p.name.split(".")[0] for p in folder.glob("*.txt")})
        raise QAError(f"prompt file {path} does not exist (answer.prompt = {name!r}; "
                      f"prompts in {folder}: {', '.join(known) or 'none'})") from exc


def parse_examples(text: str) -> tuple[Example, ...]:
    """Read the examples file: blocks opened by ``=== example``, with ``--- passage SOURCE``,
    ``--- question`` and ``--- answer`` sections. Lines starting with ``#`` are comments."""
    examples: list[Example] = []
    for block in re.split(r"^=== example\s*$", text, flags=re.M)[1:]:
        passages: list[tuple[str, str]] = []
        fields: dict[str, str] = {}
        for section in re.split(r"^--- ", block, flags=re.M)[1:]:
            head, _, body = section.partition("\n")
            lines = [ln for ln in body.strip().splitlines() if not ln.startswith("#")]
            body = render("\n".join(lines).strip(), SENTINELS)
            kind, _, arg = head.strip().partition(" ")
            if kind == "passage":
                passages.append((arg.strip(), body))
            elif kind in ("question", "answer"):
                fields[kind] = body
            else:
                raise QAError(f"examples file: unknown section '--- {head.strip()}'")
        if not passages or set(fields) != {"question", "answer"}:
            raise QAError("examples file: every example needs passages, a question and an answer")
        examples.append(Example(tuple(passages), fields["question"], fields["answer"]))
    return tuple(examples)


def load_prompts(name: str, folder: Path = PROMPTS_DIR) -> PromptSet:
    """Load the templates called ``name`` from ``folder``, with the sentinels filled in."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise QAError(f"answer.prompt {name!r} is not a prompt name (letters, digits, - and _ only)")
    return PromptSet(
        name=name,
        system=render(_read(folder, name, "system"), SENTINELS),
        # the context and passage templates keep their per-question placeholders for later
        context=_read(folder, name, "context"),
        passage=_read(folder, name, "passage"),
        examples=parse_examples(_read(folder, name, "examples")),
    )


@dataclass(frozen=True)
class Shown:
    """A passage as the model sees it: its number, a one-line source description and the text."""

    n: int
    source: str
    text: str


_CAPITALS = 0.9  # the share of a title's letters in capitals from which it counts as written in capitals


def _in_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= _CAPITALS * len(letters)


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z]\b")
_LETTERS = re.compile(r"[A-Za-z]+")
_APOSTROPHES = "'\u2019"


def acronyms(texts: Iterable[str]) -> frozenset[str]:
    """The words written in capitals (two letters or more) in those of ``texts`` that are not written
    in capitals as a whole: there a word in capitals is an acronym or a name ("CAFTA", "GOC"), while
    in a text in capitals every word is."""
    return frozenset(w for t in texts if not _in_capitals(t) for w in _ACRONYM.findall(t))


def readable_source(source: str, keep: Collection[str] = frozenset()) -> str:
    """A source line with its title (after the first ``: ``) in ordinary case when it is written in
    capitals, as most cable subjects are: the tokenizer spends about 1.4 tokens on a word in capitals
    for one in ordinary case (20.4 against 15.0 per subject line over 500 of the shared cables). The
    words in ``keep`` (``acronyms`` of the question and the shown text) and single letters ("U.S.")
    stay in capitals; a letter after an apostrophe or a digit is lower case ("GOC'S" -> "Goc's",
    "2ND" -> "2nd"). A line without a title (a bare document id) is left as it is. A line break
    becomes a space (26 of the 6,662 indexed cables have one in their subject): the line stands
    outside the fences, so what follows a break must not start a line of its own."""
    source = " ".join(source.splitlines())
    where, sep, title = source.partition(": ")
    if not sep or not _in_capitals(title):
        return source

    def word(m: re.Match[str]) -> str:
        run, before = m.group(), title[m.start() - 1] if m.start() else " "
        if run in keep or (len(run) == 1 and before not in _APOSTROPHES):
            return run
        return run.lower() if before in _APOSTROPHES or before.isdigit() else run.capitalize()

    return where + sep + _LETTERS.sub(word, title)


def _unfenced(text: str) -> str:
    # The fence markers must not occur inside a passage or its source, or they could close a fence
    # or open one of their own.
    return sanitize(text).replace("<<<", "«").replace(">>>", "»")


def _passage_block(prompts: PromptSet, passage: Shown, source: str) -> str:
    return render(prompts.passage, {"n": str(passage.n), "source": _unfenced(source), "text": _unfenced(passage.text)})


def prompt_sources(passages: Sequence[Shown], question: str) -> list[str]:
    """Each passage's source line as the answer prompt writes it (``readable_source``, keeping the
    acronyms of the question and the shown text)."""
    keep = acronyms([question, *(p.text for p in passages)])
    return [readable_source(p.source, keep) for p in passages]


def user_turn(prompts: PromptSet, passages: list[Shown], question: str) -> str:
    """The user message for one question: the fenced, numbered passages and the question.

    A passage template that names ``{source}`` places each passage's source itself (a document seen
    before is named by its first passage's number). One that does not, like the packaged one, gets
    each document's source line once, above its first passage, and that document's passages that
    follow it come under the same line: a source line costs about 37 prompt tokens (the prompt's
    passages come grouped by document, ``qa.answer.passages.group_by_source``)."""
    own_line = "{source}" not in prompts.passage
    groups: list[list[str]] = []
    first_of: dict[str, int] = {}
    previous = None
    for p, source in zip(passages, prompt_sources(passages, question), strict=True):
        if own_line:
            if p.source != previous:
                groups.append([_unfenced(source)])
            groups[-1].append(_passage_block(prompts, p, source))
        else:
            if p.source in first_of:
                source = f"(same document as [{first_of[p.source]}])"
            first_of.setdefault(p.source, p.n)
            groups.append([_passage_block(prompts, p, source)])
        previous = p.source
    values = {**SENTINELS, "passages": "\n\n".join("\n".join(g) for g in groups),
              "question": sanitize(question).strip()}
    return render(prompts.context, values)


def prefix_messages(prompts: PromptSet) -> list[dict[str, str]]:
    """The fixed start of every conversation: the rules and the worked examples (same for every question)."""
    messages = [{"role": "system", "content": prompts.system}]
    for ex in prompts.examples:
        shown = [Shown(i, source, text) for i, (source, text) in enumerate(ex.passages, start=1)]
        messages.append({"role": "user", "content": user_turn(prompts, shown, ex.question)})
        messages.append({"role": "assistant", "content": ex.answer})
    return messages


def turn_head(prompts: PromptSet) -> str:
    """What every question's user turn starts with (the line introducing the passages), up to its
    last line end: evaluated once with the prefix, so no question pays for it again."""
    one = user_turn(prompts, [Shown(1, "a", "x")], "p")
    two = user_turn(prompts, [Shown(1, "b", "y")], "q")
    same = len(os.path.commonprefix([one, two]))
    return one[:one.rfind("\n", 0, same) + 1]


def build_messages(prompts: PromptSet, passages: list[Shown], question: str) -> list[dict[str, str]]:
    """The whole chat for one question: the fixed prefix, then this question's passages."""
    return [*prefix_messages(prompts), {"role": "user", "content": user_turn(prompts, passages, question)}]


@dataclass(frozen=True)
class CheckPrompts:
    """The ``check`` prompt: does a text answer a question? (Yes or No)."""

    system: str
    context: str
    examples: tuple[Example, ...]


def load_check_prompts(name: str = "check", folder: Path = PROMPTS_DIR) -> CheckPrompts:
    examples = parse_examples(_read(folder, name, "examples"))
    if any(ex.answer not in (YES, NO) for ex in examples):
        raise QAError(f"{folder / name}.examples.txt: every example's answer must be {YES} or {NO}")
    return CheckPrompts(render(_read(folder, name, "system"), SENTINELS), _read(folder, name, "context"),
                        examples)


def _check_turn(prompts: CheckPrompts, source: str, text: str, question: str) -> str:
    values = {"source": sanitize(source), "text": sanitize(text), "question": sanitize(question).strip()}
    return render(prompts.context, values)


def check_prefix(prompts: CheckPrompts) -> list[dict[str, str]]:
    """The fixed start of every check: rules and examples (evaluated once, then reused)."""
    messages = [{"role": "system", "content": prompts.system}]
    for ex in prompts.examples:
        source, text = ex.passages[0]
        messages.append({"role": "user", "content": _check_turn(prompts, source, text, ex.question)})
        messages.append({"role": "assistant", "content": ex.answer})
    return messages


def check_messages(prompts: CheckPrompts, source: str, text: str, question: str) -> list[dict[str, str]]:
    """Does ``text`` (from ``source``) answer ``question``? The model is to reply Yes or No."""
    return [*check_prefix(prompts), {"role": "user", "content": _check_turn(prompts, source, text, question)}]
