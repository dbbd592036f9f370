"""The language model behind a small ``Generator`` interface; llama-cpp-python is the one adapter.

One ``Llama`` instance per process and model file, loaded on first use. A lock serialises calls, so
concurrent questions (the web UI's threads) queue instead of corrupting the shared KV cache. The
prompt is built so that the system rules and few-shot examples come first and are identical for every
question: llama.cpp keeps the KV cache of the last prompt and re-evaluates only what follows the
longest matching prefix, so that fixed part is evaluated once per process (``warm_up`` does it early).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.answer.llm.loader import open_llama, repack_weights
from qa.answer.llm.prompt_state import common_length, opening_tokens, render_chat, restore_state, save_state
from qa.answer.llm.weights import DEFAULT_MODEL, MISSING_MODEL_EXIT, resolve_model
from qa.cores import LoadWatch, llama_build, usable_cores
from qa.errors import QAError
from qa.settings import LLMSettings

log = logging.getLogger(__name__)

Messages = Sequence[dict[str, str]]
# Tokens per step of a prefill, which gives way between steps: a question waits one step at most (0.6 s on
# a 2-core Xeon, where 48-token steps ran at 0.83x one 336-token batch; 96: 0.9x, 16: 0.55x).
PREFILL_CHUNK = 48


class Generator(Protocol):
    """Anything that turns chat messages (or a raw prompt) into a stream of text pieces."""

    name: str

    def stream(self, prompt: Messages | str, *, max_tokens: int | None = None, stop: Sequence[str] = (),
               track: str = "", stats: GenerationStats | None = None) -> Iterator[str]: ...


@dataclass
class GenerationStats:
    """One call's account: llama.cpp's own timers, and what the model's probabilities said.

    ``track_prob``: when ``stream`` was asked to track a text (the abstention sentence), the
    probability the model gave to continuing that text at the step where its greedy choice left it
    (at the first step when it never started on it); ``None`` when it generated that text, or when
    nothing was tracked.
    """

    prompt_tokens: int = 0  # tokens in the whole prompt
    prompt_evaluated: int = 0  # of those, evaluated now; the rest came from the cached prefix
    prompt_ms: float = 0.0
    generated_tokens: int = 0
    generate_ms: float = 0.0
    track_prob: float | None = None
    min_prob: float | None = None  # lowest probability of a chosen token (greedy: the top one)
    mean_prob: float | None = None

    @property
    def generated_per_s(self) -> float:
        return 1000.0 * self.generated_tokens / self.generate_ms if self.generate_ms else 0.0

    @property
    def prompt_per_s(self) -> float:
        return 1000.0 * self.prompt_evaluated / self.prompt_ms if self.prompt_ms else 0.0


class _Watch:
    """A logits processor that only observes: per-step top probability, and the probability of a
    tracked token sequence at the step where generation leaves it."""

    def __init__(self, track: Sequence[int]) -> None:
        self.track = list(track)
        self.start: int | None = None
        self.on_track = bool(self.track)
        self.track_prob: float | None = None
        self.probs: list[float] = []

    def __call__(self, input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        if self.start is None:
            self.start = len(input_ids)
        k = len(input_ids) - self.start
        p = np.exp(logits - logits.max())
        p /= p.sum()
        best = int(np.argmax(p))
        self.probs.append(float(p[best]))
        if self.on_track and k < len(self.track):
            if best != self.track[k]:
                self.track_prob = float(p[self.track[k]])
                self.on_track = False
        elif self.on_track:
            self.on_track = False
        return logits


class LlamaGenerator:
    """A GGUF model run by llama-cpp-python at a fixed temperature (0: greedy, reproducible)."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        threads: int = 0,
        max_tokens: int = 256,
        temperature: float = 0.0,
        name: str | None = None,
        state_dir: Path | None = None,
        flash_attn: str = "off",
        repack: str = "auto",
    ) -> None:
        self.model_path = Path(model_path)
        self.flash_attn_setting = flash_attn
        self.repack_setting = repack  # read at load: auto looks at the llama.cpp build (qa.answer.llm.loader)
        self.state_dir = state_dir
        self.name = name or self.model_path.name
        self.n_ctx = n_ctx
        # threads=0: as many as the cores other programs leave free, looked at before each generation.
        # On 2 cores, a busy core cut 2-thread generation from 32.7 to 9.2 tokens/s while 1 thread kept
        # 23 (bench/contention.py): llama.cpp's threads wait for each other at every step.
        self.threads = threads or usable_cores()
        self._load_watch = LoadWatch() if not threads else None
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.stats = GenerationStats()
        self._llm: Any = None
        self._lock = threading.Lock()
        self._waiting = 0  # callers waiting for the model: a prefill gives way to them
        self._count_lock = threading.Lock()

    @contextmanager
    def _hold(self) -> Iterator[None]:
        """Hold the model, counted as waiting until then (so that a running ``prefill`` stops)."""
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    def flash_attn(self) -> bool:
        """``llm.flash_attn`` on or off; ``auto``: on only where the build has no AVX-512 kernels (AVX2
        kernels emulated on an AVX-512 CPU ran prompts 1.11x faster with it, but a real AVX2-only CPU
        generated 0.84x slower: ``bench/results/answer_*_flash_*``, ``llama_formats_avx2_machine.json``)."""
        setting = str(self.flash_attn_setting).strip().lower()
        if setting in ("on", "off", "true", "false"):
            return setting in ("on", "true")
        if setting != "auto":
            raise QAError(f"llm.flash_attn {self.flash_attn_setting!r}: use on, off or auto")
        return "AVX512 = 1" not in llama_build()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                import llama_cpp  # noqa: F401
            except ImportError as exc:
                raise QAError("llama-cpp-python is not installed; run `make setup`",
                              exit_code=MISSING_MODEL_EXIT) from exc
            started = time.perf_counter()
            try:  # verbose off: llama.cpp's load and timing logs would flood stderr
                self._llm = open_llama(self.model_path, repack=repack_weights(self.repack_setting), n_ctx=self.n_ctx,
                                       n_threads=self.threads, n_threads_batch=self.threads,
                                       flash_attn=self.flash_attn(), verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise QAError(f"llama.cpp could not load {self.model_path}: {exc}",
                              exit_code=MISSING_MODEL_EXIT) from exc
            log.info("loaded %s in %.1f s", self.model_path, time.perf_counter() - started)
        return self._llm

    def _fit_threads(self, llm: Any) -> None:
        """With automatic threads, use the cores that are free now (never more than the usable ones)."""
        if self._load_watch is None:
            return
        free = self._load_watch.free_cores()
        if free != self.threads:
            import llama_cpp

            llama_cpp.llama_set_n_threads(llm._ctx.ctx, free, free)
            log.info("llama.cpp threads %d -> %d (cores other programs left free)", self.threads, free)
            self.threads = free

    def load(self) -> None:
        """Load the model now rather than on the first question."""
        with self._hold():
            self._load()

    def warm_up(self, prefix: Messages, head: str = "") -> None:
        """Evaluate the fixed prompt prefix now, so the first question only pays for its own part.

        What is evaluated is every token each later prompt starts with: the ``prefix`` chat, then the
        next user turn's opening (the chat template's role header, and ``head``: what every such turn
        starts with, e.g. the line introducing the passages). With a ``state_dir`` the evaluated prefix
        (llama.cpp's KV cache, ~20 MB) is saved there and restored by later processes instead of
        evaluated again: a one-shot ``qa ask`` saves several seconds. The file name hashes the model
        file, the context size, llama.cpp's version and the prefix, so a changed prompt or model never
        restores a stale state; so do the build (its CPU kernels) and flash attention (the KV layout).
        """
        path = self._state_file([*prefix, {"role": "user", "content": head}])
        with self._hold():
            llm = self._load()
            if path is not None and path.exists() and restore_state(llm, path):
                return
            tokens = opening_tokens(llm, prefix, head)
            self._fit_threads(llm)
            llm.n_tokens = common_length(llm.input_ids[:llm.n_tokens].tolist(), tokens)  # what is cached
            llm.eval(tokens[llm.n_tokens:])
            if path is not None:
                save_state(llm, path)

    def prefill(self, prefix: Messages, head: str, wanted: Callable[[], bool] = lambda: True) -> int:
        """Evaluate a prompt's start ahead of time (``prefix`` and ``head`` as in ``warm_up``; here the
        head holds a question's passages), so that a prompt starting the same way, asked soon, only
        evaluates the rest (``qa.ui.type_ahead``). It gives way: it evaluates ``PREFILL_CHUNK`` tokens
        at a time and stops, keeping what it evaluated, once another caller waits for the model or
        ``wanted()`` is false. Returns the number of tokens evaluated now."""
        with self._hold():
            llm = self._load()
            tokens = opening_tokens(llm, prefix, head)
            self._fit_threads(llm)
            llm.n_tokens = start = common_length(llm.input_ids[:llm.n_tokens].tolist(), tokens)
            while llm.n_tokens < len(tokens) and not self._waiting and wanted():
                llm.eval(tokens[llm.n_tokens:llm.n_tokens + PREFILL_CHUNK])
            import llama_cpp  # llama.cpp books decodes at a sync: else the next answer's stats count these

            llama_cpp.llama_synchronize(llm._ctx.ctx)
            return llm.n_tokens - start

    def _state_file(self, prefix: Messages) -> Path | None:
        if self.state_dir is None:
            return None
        import llama_cpp

        st = self.model_path.stat()
        # the KV cache's layout depends on flash attention, its values on the build's kernels (repack too)
        key = json.dumps([str(self.model_path.resolve()), st.st_size, st.st_mtime_ns, self.n_ctx,
                          llama_cpp.__version__, llama_build(), self.flash_attn(),
                          repack_weights(self.repack_setting), list(prefix)],
                         sort_keys=True)
        return Path(self.state_dir) / f"prefix-{hashlib.sha256(key.encode()).hexdigest()[:20]}.llamastate"

    def choose(self, prompt: Messages, choices: Sequence[str]) -> dict[str, float]:
        """The probability the model gives each choice as its reply's first word, normalised over the
        choices (``Yes``/``No``): one prompt evaluation and no sampling."""
        with self._hold():
            llm = self._load()
            from llama_cpp import LogitsProcessorList

            ids = {c: {llm.tokenize(v.encode("utf-8"), add_bos=False)[0] for v in (c, c.lower(), " " + c)}
                   for c in choices}
            seen: dict[str, float] = {}

            def capture(input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
                p = np.exp(logits - logits.max())
                p /= p.sum()
                seen.update({c: float(sum(p[i] for i in tokens)) for c, tokens in ids.items()})
                return logits

            llm.create_chat_completion(messages=list(prompt), max_tokens=1, temperature=0.0,
                                       logits_processor=LogitsProcessorList([capture]))
        total = sum(seen.values()) or 1.0
        return {c: seen.get(c, 0.0) / total for c in choices}

    def choose_with_state(self, prompt: Messages, choices: Sequence[str]) -> tuple[dict[str, float], np.ndarray]:
        """``choose``, and the model's hidden state (the last layer, after its norm) at the position
        where the reply begins: what a linear probe of "does this text answer?" reads.

        All but the last prompt token are evaluated as usual (reusing the cached prefix); the last one
        alone with llama.cpp's embeddings switched on, since with them on every token of a batch is
        made an output, and the vocabulary projection of a whole suffix would cost more than the rest.
        """
        import llama_cpp

        with self._hold():
            llm = self._load()
            text = render_chat(llm, prompt)
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            same = common_length(llm.input_ids[:llm.n_tokens].tolist(), tokens[:-1])
            llm.n_tokens = same
            llm.eval(tokens[same:-1])
            ctx = llm._ctx.ctx
            llama_cpp.llama_set_embeddings(ctx, True)
            try:
                llm.eval(tokens[-1:])
                hidden = np.ctypeslib.as_array(llama_cpp.llama_get_embeddings_ith(ctx, -1),
                                               shape=(llm.n_embd(),)).copy()
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1),
                                               shape=(llm.n_vocab(),)).astype(np.float64)
            finally:
                llama_cpp.llama_set_embeddings(ctx, False)
            ids = {c: {llm.tokenize(v.encode("utf-8"), add_bos=False)[0] for v in (c, c.lower(), " " + c)}
                   for c in choices}
        p = np.exp(logits - logits.max())
        p /= p.sum()
        seen = {c: float(sum(p[i] for i in t)) for c, t in ids.items()}
        total = sum(seen.values()) or 1.0
        return {c: seen[c] / total for c in choices}, hidden

    def count_tokens(self, text: str) -> int:
        with self._hold():
            return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, prompt: Messages | str, *, max_tokens: int | None = None, stop: Sequence[str] = (),
               track: str = "", stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield the generated text piece by piece, ending early at any ``stop`` string. Holds the
        model (other callers wait) for the whole generation. ``stats``, when given, is filled in at
        the end (``self.stats`` too, but another caller may overwrite that one)."""
        with self._hold():
            llm = self._load()
            import llama_cpp
            from llama_cpp import LogitsProcessorList

            watch = _Watch(llm.tokenize(track.encode("utf-8"), add_bos=False) if track else [])
            self._fit_threads(llm)

            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            options: dict[str, Any] = {
                "max_tokens": max_tokens or self.max_tokens,
                "temperature": self.temperature,
                "stream": True,
                "stop": list(stop),
                "logits_processor": LogitsProcessorList([watch]),
            }
            if isinstance(prompt, str):
                chunks = llm.create_completion(prompt, **options)
            else:
                chunks = llm.create_chat_completion(messages=list(prompt), **options)
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    piece = choice.get("text") if "text" in choice else choice.get("delta", {}).get("content")
                    if piece:
                        yield piece
            finally:
                chunks.close()
                perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
                # llama.cpp counts batched decodes as prompt and single-token decodes as generation;
                # what the context holds now is the prompt plus the generated tokens evaluated.
                prompt_total = int(llm.n_tokens) - int(perf.n_eval)
                self.stats = GenerationStats(
                    prompt_tokens=prompt_total,
                    prompt_evaluated=int(perf.n_p_eval),
                    prompt_ms=float(perf.t_p_eval_ms),
                    generated_tokens=int(perf.n_eval),
                    generate_ms=float(perf.t_eval_ms),
                    track_prob=watch.track_prob,
                    min_prob=min(watch.probs) if watch.probs else None,
                    mean_prob=float(np.mean(watch.probs)) if watch.probs else None,
                )
                if stats is not None:
                    stats.__dict__.update(self.stats.__dict__)


_INSTANCES: dict[tuple[str, int, int, int, float, str], LlamaGenerator] = {}
_INSTANCES_LOCK = threading.Lock()


def get_generator(llm: LLMSettings, role: str = "answer") -> Any:
    """The process's generator for these settings and role, loaded once. The ``check`` role (does a
    text answer a question?) gets its own llama.cpp context over the same memory-mapped weights, so
    answering and checking each keep their own prompt prefix cached. ``llm.backend = "openai"`` gives
    a client of an OpenAI-compatible server instead (``qa.answer.llm.openai_server``)."""
    if llm.backend == "openai":
        from qa.answer.llm.openai_server import OpenAIServerGenerator

        if not llm.base_url or not llm.model:
            raise QAError("llm.backend openai needs llm.base_url (the server's /v1 root) and llm.model "
                          "(its model name)")
        return OpenAIServerGenerator(llm.base_url, llm.model, api_key=llm.api_key, max_tokens=llm.max_tokens,
                                     temperature=llm.temperature)
    if llm.backend != "llama_cpp":
        raise QAError(f"llm.backend {llm.backend!r}: use llama_cpp or openai")
    path = resolve_model(llm.model, llm.cache_dir)
    n_ctx = llm.n_ctx if role == "answer" else min(llm.n_ctx, 2048)
    key = (str(path.resolve()), n_ctx, llm.threads, llm.max_tokens, llm.temperature, llm.flash_attn, llm.repack,
           role)
    with _INSTANCES_LOCK:
        if key not in _INSTANCES:
            name = DEFAULT_MODEL.name if not llm.model else path.name
            _INSTANCES[key] = LlamaGenerator(
                path, n_ctx=n_ctx, threads=llm.threads, max_tokens=llm.max_tokens,
                temperature=llm.temperature, name=name, state_dir=Path(llm.cache_dir) / "prompt-cache",
                flash_attn=llm.flash_attn, repack=llm.repack,
            )
        return _INSTANCES[key]
