"""Sentence embeddings behind one small interface; the packaged all-MiniLM-L6-v2 by default.

Three precisions (``embed.quantize``), all loading the model from a local folder, never from a hub:

- ``int8`` (default): the model exported to ONNX and quantized once (``qa.embed.quantize``), run by
  ONNX Runtime without torch (``qa.embed.onnx_runtime``). 6-7x the throughput of plain fp32
  ``SentenceTransformer.encode`` on an AVX-512 VNNI machine, for about half a point of recall@5 on
  squad2-dev (``bench/embed.py`` measures both).
- ``bf16`` (about 2x, a tenth of a point) and ``fp32``: sentence-transformers on torch
  (``qa.embed.sentence_transformer``).
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from qa.embed.folder import model_folder
from qa.embed.windows import Progress
from qa.errors import QAError
from qa.settings import EmbedSettings

PRECISIONS = ("int8", "bf16", "fp32")


class Embedder(Protocol):
    """What the indexer, search and answer checks need from an embedding model."""

    name: str  # model + precision, recorded in the index manifest
    dim: int

    def windows(self, text: str) -> list[str]: ...

    def count_tokens(self, text: str) -> int: ...

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def load_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder ``settings`` select: the packaged model unless ``embed.model`` names a folder."""
    precision = settings.quantize.strip().lower()
    if precision not in PRECISIONS:
        raise QAError(f"embed.quantize={settings.quantize!r} is not one of {', '.join(PRECISIONS)} "
                      "(setting embed.quantize / QA_EMBED__QUANTIZE)")
    folder = model_folder(settings)
    # Offline always: weights come from the local folder; never let a library reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if precision == "int8":
        from qa.embed.onnx_runtime import OnnxEmbedder

        return OnnxEmbedder.build(folder, settings)
    from qa.embed.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(folder, settings, precision)
