"""``bench/avx2only.c``: preloaded, the process sees a CPU without AVX-512, and real faults still kill it.

Run through the real thing: the shim is compiled with the system's C compiler and preloaded into a
compiled CPUID probe and into a real Python process, where torch (which picks its kernels from CPUID,
as ONNX Runtime does) reports the instruction set it will use.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scripts import load_script

avx2_kernels = load_script("bench/avx2_kernels.py")
FLAGS = set(re.findall(r"\b\w+\b", Path("/proc/cpuinfo").read_text())) if Path("/proc/cpuinfo").is_file() else set()

pytestmark = [
    pytest.mark.skipif(avx2_kernels.c_compiler() is None, reason="no C compiler"),
    pytest.mark.skipif("cpuid_fault" not in FLAGS, reason="this CPU cannot fault CPUID"),
]

# Leaf 7's AVX-512F bit (EBX 16), which ONNX Runtime's MLAS reads, and the ZMM state bits of leaf 0xD.
PROBE = r"""
#include <cpuid.h>
#include <stdio.h>
int main(void) {
  unsigned a, b, c, d;
  __cpuid_count(7, 0, a, b, c, d);
  unsigned avx512f = (b >> 16) & 1;
  __cpuid_count(0xd, 0, a, b, c, d);
  printf("%u %u\n", avx512f, (a >> 5) & 7);
  return 0;
}
"""

CAPABILITY = "import torch, os; print(torch.backends.cpu.get_cpu_capability(), os.environ.get('AVX2ONLY_ACTIVE'))"


def _env(preload: Path | None) -> dict[str, str]:
    """This environment without any preload (or the shim's mark), plus ``preload`` when given."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "AVX2ONLY_ACTIVE")}
    return env if preload is None else {**env, "LD_PRELOAD": str(preload)}


def _run(code: str, preload: Path | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=_env(preload), capture_output=True, text=True, timeout=120)


def test_preloaded_process_runs_avx2_kernels(tmp_path: Path) -> None:
    shim = avx2_kernels.build_shim(tmp_path)
    masked = _run(CAPABILITY, shim)
    assert masked.returncode == 0, masked.stderr
    assert masked.stdout.split() == ["AVX2", "1"]
    if "avx512f" in FLAGS:  # the mask is what changed it: without the shim this CPU gets AVX-512 kernels
        native = _run(CAPABILITY, None)
        assert native.stdout.split()[0].startswith("AVX512"), native.stdout
    assert avx2_kernels.build_shim(tmp_path) == shim  # built once per source version


def test_cpuid_answers_lack_avx512(tmp_path: Path) -> None:
    source, probe = tmp_path / "probe.c", tmp_path / "probe"
    source.write_text(PROBE)
    subprocess.run([avx2_kernels.c_compiler(), "-O1", "-o", str(probe), str(source)], check=True)
    masked = subprocess.run([str(probe)], env=_env(avx2_kernels.build_shim(tmp_path)),
                            capture_output=True, text=True, check=True)
    assert masked.stdout.split() == ["0", "0"]
    if "avx512f" in FLAGS:
        native = subprocess.run([str(probe)], env=_env(None), capture_output=True, text=True, check=True)
        assert native.stdout.split() == ["1", "7"]


def test_a_real_segfault_still_kills_the_process(tmp_path: Path) -> None:
    crashed = _run("import ctypes; ctypes.string_at(0)", avx2_kernels.build_shim(tmp_path))
    assert crashed.returncode == -11
