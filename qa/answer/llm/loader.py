"""Opening a GGUF file with llama-cpp-python, with or without llama.cpp's repacked weight buffers.

At load, llama.cpp copies the weights into "extra" buffers laid out for its fastest kernels on this
CPU: AMX tiles where it was compiled with AMX, otherwise its interleaved (REPACK) layouts. On an Intel
Xeon with AMX_INT8 (Sapphire Rapids class), the AMX kernels crash the process with a segmentation fault
on the first prompt of the packaged Q4_K_M model (llama.cpp issue #20824, closed without a fix; seen here
on every question, while a one-token prompt passed). ``llm.repack = auto`` therefore leaves the extra
buffers out where the build has AMX kernels, and keeps them everywhere else.

llama-cpp-python's ``Llama`` takes no argument for this, so ``without_extra_buffers`` gives it model
parameters with ``use_extra_bufts`` off while it loads (the library reads ``llama_model_default_params``
from its module at that moment); a lock keeps two loads from seeing each other's parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from qa.cores import llama_build
from qa.errors import QAError

_LOAD_LOCK = threading.Lock()


def repack_weights(setting: str = "auto", build: str | None = None) -> bool:
    """``llm.repack`` as a yes or no: ``on``, ``off``, or ``auto`` (on unless llama.cpp was built with
    AMX kernels, see the module docstring). ``build`` is llama.cpp's system info (default: this one's)."""
    value = str(setting).strip().lower()
    if value in ("on", "true"):
        return True
    if value in ("off", "false"):
        return False
    if value != "auto":
        raise QAError(f"llm.repack {setting!r}: use on, off or auto")
    return "AMX_INT8 = 1" not in (llama_build() if build is None else build)


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
    weight buffers only when ``repack`` is true."""
    from llama_cpp import Llama

    with loading(repack):
        return Llama(model_path=str(model_path), **kwargs)
