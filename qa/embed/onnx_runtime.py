"""The int8 embedder: the cached int8 ONNX model (``qa.embed.quantize``) run by ONNX Runtime.

Tokenization (the folder's ``tokenizer.json``, with the model's own window length), pooling and
normalisation are done here in numpy as sentence-transformers does them, so its vectors match the
fp32 model's to within quantization error (cosine about 0.99; tests check it).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from qa.cores import usable_cores
from qa.embed.folder import ModelFolder
from qa.embed.quantize import SLOW_FUSIONS, int8_model
from qa.embed.windows import Progress, TokenWindows
from qa.errors import QAError
from qa.settings import EmbedSettings


class OnnxEmbedder:
    """Embeds with an int8 ONNX model; ``build()`` makes (once) and loads it."""

    def __init__(self, onnx_path: str, folder: ModelFolder, settings: EmbedSettings,
                 disabled_optimizers: tuple[str, ...] = SLOW_FUSIONS) -> None:
        from tokenizers import Tokenizer

        tok_file = folder.transformer_dir / "tokenizer.json"
        self.name = f"{folder.name}@int8"
        self.dim = folder.dim
        self.pooling = folder.pooling
        self.batch_size = settings.batch_size
        # Two tokenizers: one truncating to the model's length for encoding (the file's own settings,
        # e.g. 128 tokens padded to 128 for MiniLM, are not what sentence-transformers uses), one whole
        # for counting tokens and cutting windows.
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=folder.max_seq_length)
        whole = Tokenizer.from_file(str(tok_file))
        whole.no_padding()
        whole.no_truncation()
        self._windows = TokenWindows(lambda text: whole.encode(text, add_special_tokens=False).offsets,
                                     folder.max_seq_length, settings.window_tokens, settings.window_overlap)
        self._path = onnx_path
        self._disabled = list(disabled_optimizers)
        self.threads = settings.threads if settings.threads > 0 else usable_cores()
        self.session = self._session(self.threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self._workers: list[Any] = []  # one-thread sessions for many texts, made on first use
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads sleep rather than spin between operators: on a CPU shared with other work (the usual
        # case on a laptop), spinning burnt ~35% more CPU time for the same output and ran slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(self._path, options, providers=["CPUExecutionProvider"],
                                        disabled_optimizers=self._disabled)
        except Exception as exc:  # noqa: BLE001 - a corrupt cache file: say where it is
            raise QAError(f"cannot load the int8 embedding model {self._path} ({exc}); delete it to rebuild it",
                          exit_code=4) from exc

    @classmethod
    def build(cls, folder: ModelFolder, settings: EmbedSettings) -> OnnxEmbedder:
        if folder.pooling is None:
            raise QAError(f"{folder.root}: embed.quantize=int8 supports models made of a transformer and mean "
                          "or CLS pooling only; set QA_EMBED__QUANTIZE=fp32 for this model", exit_code=4)
        if not (folder.transformer_dir / "tokenizer.json").is_file():
            raise QAError(f"{folder.root} has no tokenizer.json, which embed.quantize=int8 needs; "
                          "set QA_EMBED__QUANTIZE=fp32 for this model", exit_code=4)
        path = int8_model(folder.root, folder.transformer_dir, settings.cache_dir, folder.name)
        return cls(str(path), folder, settings)

    def windows(self, text: str) -> list[str]:
        return self._windows.split(text)

    def count_tokens(self, text: str) -> int:
        return self._windows.count(text)

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray:
        """Each text runs alone: no padding, and int8 activation scales computed from that text only, so
        a text's vector never depends on what it was batched with (and is as close to fp32 as it gets).
        Measured as fast as padded batches; ``batch_size`` only paces ``progress``.

        Several texts are shared among one-thread sessions, one per core: on 2 cores that ran 1.1-1.2x
        one two-thread session (which waits for both threads at every operator, and for the slower one
        when another program holds a core). The vectors are the same bit for bit (a text alone takes the
        same arithmetic on any thread count)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        step = max(1, self.batch_size)
        if self.threads > 1 and len(texts) > 1:
            self._shared(self.tokenizer.encode_batch(texts), out, self._pool(), progress, step)
            return out
        for start in range(0, len(texts), step):
            part = texts[start:start + step]
            for i, enc in enumerate(self.tokenizer.encode_batch(part), start):
                out[i] = self._run(enc)
            if progress:
                progress(len(part))
        return out

    def _pool(self) -> ThreadPoolExecutor:
        """The worker sessions and their threads, made once, on the first call with several texts (a
        query-only process never pays for them)."""
        with self._lock:
            if self._executor is None:
                self._workers = [self._session(1) for _ in range(self.threads)]
                self._executor = ThreadPoolExecutor(len(self._workers), thread_name_prefix="embed")
            return self._executor

    def _shared(self, encodings: list[Any], out: np.ndarray, pool: ThreadPoolExecutor,
                progress: Progress | None, step: int) -> None:
        """Every worker takes the next text not yet taken, longest first, until none is left (ONNX
        Runtime releases the GIL while it runs). Taking texts as they come, rather than every n-th text
        of a fixed batch, leaves no worker waiting for another at a batch's end (and the last texts are
        the shortest): 1.08x the fixed split with AVX-512 kernels, 1.09x with AVX2 kernels, on an AMD EPYC
        (``bench/embed.py``). This thread only counts finished texts, for ``progress``."""
        order = iter(sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids)))
        lock, stop = threading.Lock(), threading.Event()
        finished: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()

        def work(w: int) -> None:
            try:
                while not stop.is_set():
                    with lock:
                        i = next(order, None)
                    if i is None:
                        return
                    out[i] = self._run(encodings[i], self._workers[w])
                    finished.put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
                finished.put(exc)

        for w in range(len(self._workers)):
            pool.submit(work, w)
        unreported = 0
        try:
            for count in range(1, len(encodings) + 1):
                failure = finished.get()
                if failure is not None:
                    raise failure
                unreported += 1
                if progress and (unreported == step or count == len(encodings)):
                    progress(unreported)
                    unreported = 0
        finally:
            stop.set()  # a failure, or an exception from ``progress``: the other workers stop too

    def encode_query(self, text: str) -> np.ndarray:
        return self._run(self.tokenizer.encode(text))

    def _run(self, enc: Any, session: Any = None) -> np.ndarray:
        # One text, unpadded: the graph's attention has no mask (recipe v4, ``qa.embed.quantize``).
        feeds = {
            "input_ids": np.asarray([enc.ids], dtype=np.int64),
            "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
        }
        hidden = (session or self.session).run(None, {name: feeds[name] for name in self.inputs})[0][0]
        pooled = hidden[0] if self.pooling == "cls" else hidden.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
