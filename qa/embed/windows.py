"""What text of a paragraph is embedded, cut into windows the model can read.

A paragraph is embedded alone or prefixed by its cable's SUBJECT (``embed.with_subject``); header and
routing lines are never embedded (the parser keeps them out of paragraphs). Text longer than the
model's window becomes overlapping windows cut at token boundaries (the model's own tokenizer), which
all point to the same paragraph, so every part of it is embedded somewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qa.types import Document, Paragraph

Progress = Callable[[int], None]
EMBED_TEXT_RECIPE = "subject-prefix-1"  # recorded in the manifest: how embedded text is made


class TokenWindows:
    """Splits text into windows of at most ``capacity`` tokens that overlap by ``overlap`` tokens.

    ``offsets(text)`` gives the character span of each token (no special tokens); windows are cut at
    token boundaries from the original text, so no text is changed, only sliced.
    """

    def __init__(self, offsets: Callable[[str], list[tuple[int, int]]], max_seq_length: int,
                 window_tokens: int, window_overlap: int) -> None:
        self.offsets = offsets
        self.capacity = max(8, min(window_tokens, max_seq_length) - 2)  # [CLS] and [SEP] take two
        self.overlap = max(0, min(window_overlap, self.capacity // 2))

    def count(self, text: str) -> int:
        return len(self.offsets(text))

    def split(self, text: str) -> list[str]:
        if len(text) <= self.capacity and text.isascii():  # an ASCII character is never two tokens
            return [text]
        spans = self.offsets(text)
        if len(spans) <= self.capacity:
            return [text]
        out: list[str] = []
        start, step = 0, self.capacity - self.overlap
        while True:
            end = min(start + self.capacity, len(spans))
            out.append(text[spans[start][0]:spans[end - 1][1]])
            if end == len(spans):
                return out
            start += step


def sort_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped longest first into batches of ``batch_size``, so texts of similar length are
    padded together."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), max(1, batch_size))]


def embedding_windows(embedder: Any, doc: Document, para: Paragraph, with_subject: bool) -> list[str]:
    """The window texts embedded for one paragraph."""
    text = para.text
    if with_subject and doc.title:
        text = f"{doc.title}: {text}"
    return embedder.windows(text)
