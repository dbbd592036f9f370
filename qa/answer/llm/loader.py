"""Opening a GGUF file with llama-cpp-python, with or without llama.cpp's repacked weight buffers.

At load, llama.cpp copies the weights into "extra" buffers laid out for its fastest kernels on this
CPU: AMX tiles where it was compiled with AMX, otherwise its interleaved (REPACK) layouts. On an Intel
Xeon with AMX_INT8 (Sapphire Rapids class), the AMX kernels crash the process with a segmentation fault
on the first prompt of the packaged Q4_K_M model (llama.cpp issue #20824, closed without a fix; seen here
on every question, while a one-token prompt passed). Where the build has AVX-512 kernels, the plain
layout is also the faster one for prompts: on an AMD EPYC with AVX-512 VNNI, leaving the buffers out made
prompts 1.30x faster and generation 0.75x as fast (``bench/results/llama_repack.json``), and the real
answers' first token p50 went from 3.77 to 2.74 s and their total from 7.66 to 6.53 s, with all 23
answers the same (``answer_epyc_repack_{on,off}.json``). With AVX2 kernels the repacked layout is as fast
for prompts (0.98x without) and faster for generation (0.88x without). ``llm.repack = auto`` therefore
keeps the extra buffers only where the build has neither AMX nor AVX-512 kernels.

llama-cpp-python's ``Llama`` takes no argument for this, so ``without_extra_buffers`` gives it model
parameters with ``use_extra_bufts`` off while it loads (the library reads ``llama_model_default_params``
from its module at that moment); a lock keeps two loads from seeing each other's parameters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from qa.answer.llm.pagecache import read_through
from qa.cores import llama_build
from qa.errors import QAError

log = logging.getLogger(__name__)
_LOAD_LOCK = threading.Lock()


def repack_weights(setting: str = "auto", build: str | None = None) -> bool:
    """``llm.repack`` as a yes or no: ``on``, ``off``, or ``auto`` (on only where llama.cpp was built with
    neither AMX nor AVX-512 kernels, see the module docstring). ``build`` is llama.cpp's system info
    (default: this one's)."""
    value = str(setting).strip().lower()
    if value in ("on", "true"):
        return True
    if value in ("off", "false"):
        return False
    if value != "auto":
        raise QAError(f"llm.repack {setting!r}: use on, off or auto")
    info = llama_build() if build is None else build
    return "AMX_INT8 = 1" not in info and "AVX512 = 1" not in info


@contextmanager
def without_extra_buffers() -> Iterator[None]:
    """While inside, llama-cpp-python loads models with ``use_extra_bufts`` off (one load at a time)."""
    import llama_cpp.llama_cpp as lib

    defaults = lib.llama_model_default_params

    def params() -> Any:
        value = defaults()
        value.use_extra_bufts = False
        return value

    with _LOAD_LOCK:
        lib.llama_model_default_params = params
        try:
            yield
        finally:
            lib.llama_model_default_params = defaults


def loading(repack: bool) -> AbstractContextManager[None]:
    """Where llama-cpp-python loads a model with llama.cpp's repacked weight buffers only when ``repack``
    is true (for a loader of its own, such as its server: ``with loading(repack_weights()): ...``)."""
    return nullcontext() if repack else without_extra_buffers()


def open_llama(model_path: Path | str, *, repack: bool, **kwargs: Any) -> Any:
    """A ``llama_cpp.Llama`` for ``model_path`` (``kwargs`` go to it), with llama.cpp's repacked
    weight buffers only when ``repack`` is true. The file is read through first, once per process, so
    that the first prompt finds the mapped weights in memory (``qa.answer.llm.pagecache``)."""
    from llama_cpp import Llama

    took = read_through(model_path)
    if took is not None:
        log.info("read %s into memory in %.1f s", model_path, took)

    with loading(repack):
        return Llama(model_path=str(model_path), **kwargs)
