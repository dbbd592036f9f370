"""Test stand-ins: fast, deterministic fakes for unit tests (each behaviour also has a real-component test)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from qa.embed.windows import Progress, TokenWindows


class HashEmbedder:
    """A deterministic stand-in (hashing trick over words and word pairs) for fast unit tests.

    Texts sharing words get similar vectors, so it exercises ranking code; it knows no meaning.
    Windows count whitespace-separated words as tokens.
    """

    def __init__(self, dim: int = 256, window_tokens: int = 256, window_overlap: int = 32) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self._windows = TokenWindows(self._offsets, window_tokens + 2, window_tokens, window_overlap)

    @staticmethod
    def _offsets(text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\S+", text)]

    def windows(self, text: str) -> list[str]:
        return self._windows.split(text)

    def count_tokens(self, text: str) -> int:
        return self._windows.count(text)

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        words = re.findall(r"\w+", text.lower())
        for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
            h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 63) else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray:
        out = np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if progress and texts:
            progress(len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)
