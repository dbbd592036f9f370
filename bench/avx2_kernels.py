"""Run a benchmark with AVX2 kernels on an AVX-512 machine (``--avx2-kernels`` in the benchmarks).

An AVX2-only machine is not always at hand, and its figures differ from an AVX-512 one's mostly by the
kernels libraries pick from CPUID. ``bench/avx2only.c``, preloaded, hides AVX-512, AVX-VNNI and AMX from
CPUID, so ONNX Runtime (the int8 embedder) and torch (plain fp32 ``encode``) run their AVX2 code here.
The clock and memory are still this machine's, so a figure taken so is a figure for AVX2 kernels on
this CPU, not for an AVX2-only CPU: compare ratios. llama.cpp is compiled for one instruction set and
is not changed (see the README's AVX2 build of llama-cpp-python).

Needs a C compiler and a CPU with CPUID faulting (``cpuid_fault`` in /proc/cpuinfo).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().with_name("avx2only.c")
LABEL = "avx2 (AVX-512, AVX-VNNI and AMX hidden from CPUID by bench/avx2only.c)"


def kernels() -> str:
    """Which kernels this process runs: ``native``, or the AVX2 label when the shim is active."""
    return LABEL if os.environ.get("AVX2ONLY_ACTIVE") == "1" else "native"


def c_compiler() -> str | None:
    """The C compiler to build the shim with: ``$CC``, else ``cc``, else ``gcc``; None when there is none."""
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def build_shim(cache_dir: Path | None = None) -> Path:
    """Compile ``avx2only.c`` (once per source version) and return the shared library's path."""
    source = SOURCE.read_bytes()
    cache_dir = cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cableqa" / "bench"
    target = cache_dir / f"avx2only-{hashlib.sha256(source).hexdigest()[:12]}.so"
    if target.is_file():
        return target
    compiler = c_compiler()
    if compiler is None:
        raise SystemExit("--avx2-kernels needs a C compiler (cc or gcc) to build bench/avx2only.c")
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(partial), str(SOURCE)], check=True)
    os.replace(partial, target)
    return target


def reexec_with_avx2_kernels() -> None:
    """Restart this script with the shim preloaded; in the restarted process, check that it took."""
    if os.environ.get("AVX2ONLY_ACTIVE") == "1":
        return
    if os.environ.get("AVX2ONLY_TRIED") == "1":
        raise SystemExit("--avx2-kernels: CPUID faulting could not be turned on (no `cpuid_fault` in "
                         "/proc/cpuinfo?): this machine cannot hide its AVX-512 kernels")
    preload = " ".join(p for p in (str(build_shim()), os.environ.get("LD_PRELOAD", "")) if p)
    env = {**os.environ, "LD_PRELOAD": preload, "AVX2ONLY_TRIED": "1"}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)
