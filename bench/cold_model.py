"""The first prompt after a start with the model file out of memory (issue 15, point 5: no cold first answer).

Each round starts a fresh process that loads the packaged GGUF as ``qa serve`` does (``LlamaGenerator``:
load, then ``warm_up`` restoring a saved prompt prefix), then times the first token of a ~350-token
question turn, the size of a real one. Four conditions, interleaved round by round so drift hits all
alike: the model file **cold** (dropped from the page cache first, as after a reboot) or **warm**, and
the load **reading the file through** first (``qa.answer.llm.pagecache``, today's code) or not (the
code before). ``--repack on off`` adds llama.cpp's repacked weight buffers as a factor (``llm.repack``).
``--read-mb-s 200`` runs every round with its disk reads throttled to that rate, like a laptop's slower
disk (a cgroup v1 ``blkio`` throttle on the model file's device: needs root and ``/sys/fs/cgroup/blkio``).

    .venv/bin/python bench/cold_model.py [--rounds 3] [--repack auto] [--read-mb-s 200]
        [--out bench/results/cold_model.json]

Run it alone: it times prompt processing on all cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.cores import cpu_flags, llama_build  # noqa: E402

MODEL_CACHE = ROOT / ".cache" / "cableqa"

# One round in a fresh process: argv = cold|warm, read|noread, repack setting, state folder.
ROUND = r"""
import json, sys, time
from pathlib import Path
import qa.answer.llm.loader as loader
from qa.answer.llm.llama import LlamaGenerator
from qa.answer.llm.pagecache import evict, resident_fraction
from qa.answer.llm.weights import resolve_model
cold, read, repack, state = sys.argv[1] == "cold", sys.argv[2] == "read", sys.argv[3], Path(sys.argv[4])
model = resolve_model(None, Path(sys.argv[5]))
if not read:
    loader.read_through = lambda path: None  # the code before: llama.cpp's own mapping and prefetch only
if cold:
    evict(model)
before = resident_fraction(model)
gen = LlamaGenerator(model, n_ctx=2048, threads=0, repack=repack, state_dir=state)
t = time.perf_counter()
gen.load()
load_s = time.perf_counter() - t
after_load = resident_fraction(model)  # llama.cpp's own prefetch (madvise WILLNEED) may still be reading
prefix = [{"role": "system", "content": "You answer questions about diplomatic cables, citing paragraphs. " * 20}]
gen.warm_up(prefix)
turn = "The embassy reported on the referendum and its turnout in the provinces. " * 25
t = time.perf_counter()
for _ in gen.stream(prefix + [{"role": "user", "content": turn}], max_tokens=1):
    pass
print(json.dumps({"resident_before": round(before, 3), "resident_after_load": round(after_load, 3),
                  "load_s": round(load_s, 2), "first_token_s": round(time.perf_counter() - t, 2),
                  "prompt_tokens": gen.stats.prompt_evaluated}))
"""


BLKIO = Path("/sys/fs/cgroup/blkio/cableqa-bench")


def throttle(model: Path, mb_s: float) -> list[str]:
    """A command prefix that runs its command with disk reads from ``model``'s device at ``mb_s``."""
    dev = model.stat().st_dev
    try:
        BLKIO.mkdir(exist_ok=True)
        (BLKIO / "blkio.throttle.read_bps_device").write_text(
            f"{os.major(dev)}:{os.minor(dev)} {int(mb_s * 1e6)}\n")
    except OSError as exc:
        raise SystemExit(f"--read-mb-s needs a writable cgroup v1 blkio hierarchy: {exc}") from exc
    return ["sh", "-c", f'echo $$ > {BLKIO}/cgroup.procs && exec "$@"', "sh"]


def one(cold: bool, read: bool, repack: str, state: Path, prefix: Sequence[str] = ()) -> dict[str, float]:
    args = ["cold" if cold else "warm", "read" if read else "noread", repack, str(state), str(MODEL_CACHE)]
    run = subprocess.run([*prefix, sys.executable, "-c", ROUND, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if run.returncode != 0:
        raise SystemExit(f"round failed ({args}):\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repack", nargs="+", default=["auto"], help="llm.repack settings to compare")
    ap.add_argument("--read-mb-s", type=float, default=0, help="throttle disk reads to this rate (0: not)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cold_model.json")
    args = ap.parse_args()
    conditions = [(cold, read, repack) for repack in args.repack for cold in (True, False) for read in (True, False)]
    runs: dict[str, list[dict[str, float]]] = {}
    from qa.answer.llm.weights import resolve_model

    prefix = throttle(resolve_model(None, MODEL_CACHE), args.read_mb_s) if args.read_mb_s else []
    with tempfile.TemporaryDirectory() as state:
        for repack in args.repack:  # the saved prefix, made once per setting before any timed round
            one(False, True, repack, Path(state))
        for n in range(1, args.rounds + 1):
            for cold, read, repack in conditions:
                name = f"{'cold' if cold else 'warm'}_{'read' if read else 'noread'}_repack_{repack}"
                runs.setdefault(name, []).append(one(cold, read, repack, Path(state), prefix))
                print(f"round {n} {name}: {runs[name][-1]}", flush=True)
    summary = {name: {"first_token_p50_s": statistics.median(r["first_token_s"] for r in rs),
                      "load_p50_s": statistics.median(r["load_s"] for r in rs),
                      "resident_before_max": max(r["resident_before"] for r in rs),
                      "resident_after_load_min": min(r["resident_after_load"] for r in rs)}
               for name, rs in runs.items()}
    out = {"cpu_flags": cpu_flags(), "llama_build": llama_build(), "rounds": args.rounds,
           "read_mb_s": args.read_mb_s or None, "summary": summary,
           "runs": runs, "load_average_at_end": os.getloadavg()[0]}
    print(json.dumps(summary, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
