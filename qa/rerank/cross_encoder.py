"""The cross-encoder reranker: the packaged MiniLM fine-tuned to score (question, paragraph) pairs
(``train/reranker.py`` trains it; ``qa/data/reranker/`` holds the int8 ONNX file and its sha256).

It reads the question and the paragraph in one pass, so it sees whether the paragraph answers, not
only whether it is on the topic, at the cost of one model run per candidate: it reorders the top
``search.rerank_top`` of the fused ranking only. A file whose sha256 differs from the manifest's is
refused (a half-copied or altered file must not rank silently).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from qa.cores import usable_cores
from qa.errors import QAError

MAX_TOKENS = 256


def packaged_reranker() -> Path:
    """The packaged model file (``qa/data/reranker/reranker-int8.onnx``)."""
    return Path(str(resources.files("qa.data").joinpath("reranker", "reranker-int8.onnx")))


class CrossEncoderReranker:
    """Scores (question, text) pairs with the int8 ONNX cross-encoder; higher means more likely to
    answer. Each pair runs alone (no padding), like the embedder."""

    def __init__(self, model_path: Path | None = None, tokenizer_file: Path | None = None, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(model_path) if model_path else packaged_reranker()
        if not path.is_file():
            raise QAError(f"no reranker model at {path} (search.reranker); set search.rerank_top = 0 to rank "
                          "without it", exit_code=4)
        manifest = path.with_name("reranker.json")
        if manifest.is_file():
            expected = json.loads(manifest.read_text(encoding="utf-8")).get("sha256")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if expected and digest != expected:
                raise QAError(f"the reranker {path} is damaged (sha256 {digest[:12]}..., expected "
                              f"{expected[:12]}...): reinstall cableqa", exit_code=4)
        if tokenizer_file is None:
            from qa.embed.folder import packaged_model_dir

            folder = packaged_model_dir()
            if folder is None:
                raise QAError("the reranker uses the packaged MiniLM's tokenizer, which is not installed", exit_code=4)
            tokenizer_file = folder / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="only_second")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.name = path.name

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per text."""
        out = np.zeros(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            enc = self.tokenizer.encode(question, text)
            feed = {
                "input_ids": np.array([enc.ids], dtype=np.int64),
                "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
            }
            out[i] = float(self.session.run(None, feed)[0][0])
        return out
