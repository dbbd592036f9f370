"""Prompt processing and generation speed of the answer model per weight format and llama.cpp setting.

Issue 15 point 4: on AVX2-only CPUs the first token is slow because evaluating the prompt (the shown
passages are most of it) is compute-bound, and llama.cpp's fast prompt kernels differ per weight
format and CPU kind (it repacks some formats at load into layouts its AVX2 or AVX-512 GEMMs read).
This makes each format from the packaged Q4_K_M file locally (``llama_model_quantize``, requantizing:
no download; the files go to ``<cache>/formats/``), then, for each format and setting, evaluates the
same real prompt text (the seed cable's paragraphs, ``--prompt-tokens`` long) ``--reps`` times from
an empty cache and generates ``--gen`` tokens after it, reading llama.cpp's own timers.

``--build NAME=DIR`` adds another llama.cpp build (``DIR`` holds its ``llama_cpp`` package, e.g. one
compiled with AVX-512 turned off: see the README's Development section) to compare with the project's
own (``native``) on the same CPU. Every measurement runs in its own process, and the builds alternate
within each of ``--rounds`` rounds, so a slow minute falls on all of them alike; each figure is the
median over rounds, and ratios are to the native build's Q4_K_M without flash attention. It records
what each build was compiled for (``llama_print_system_info``) next to the CPU's flags. Run it alone.

    .venv/bin/python bench/llama_formats.py [--formats q4_k_m q4_0 ...] [--flash off on] [--threads 2]
        [--repack auto on off]
        [--build avx2=/tmp/avx2pkg] [--rounds 2] [--prompt-tokens 768] [--gen 32] [--reps 2]
        [--out bench/results/llama_formats.json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from qa.cores import cpu_flags, llama_build
from qa.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"
# llama.cpp's file types (include/llama.h, llama_ftype): what each variant is quantised to.
FTYPES = {"q4_0": 2, "q8_0": 7, "q4_k_s": 14, "q4_k_m": 15, "iq4_nl": 25}


def format_file(source: Path, fmt: str, folder: Path) -> Path:
    """The packaged model in format ``fmt``, made once from ``source`` (written atomically)."""
    if fmt == "q4_k_m":
        return source
    import llama_cpp

    out = folder / f"{source.stem.rsplit('-', 1)[0]}-{fmt}.gguf"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[fmt]
    params.allow_requantize = True  # the source is already Q4_K_M: its tensors are dequantised first
    params.nthread = os.cpu_count() or 1
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    started = time.perf_counter()
    if llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), ctypes.byref(params)) != 0:
        tmp.unlink(missing_ok=True)
        raise SystemExit(f"llama.cpp could not quantise {source} to {fmt}")
    os.replace(tmp, out)
    print(f"made {out.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return out


def prompt_tokens(llm: Any, n: int) -> list[int]:
    """``n`` tokens of real cable text (the seed, repeated if short), as the answer prompt shows it."""
    text = SEED.read_text(encoding="utf-8", errors="replace")
    tokens = llm.tokenize(text.encode(), add_bos=True)
    while len(tokens) < n:
        tokens += llm.tokenize(text.encode(), add_bos=False)
    return tokens[:n]


def measure(path: Path, *, threads: int, flash: bool, n_prompt: int, n_gen: int, reps: int,
            repack: str = "auto") -> dict:
    """Prompt and generation tokens/s of one model file and setting (``repack``: ``llm.repack``), from
    llama.cpp's own timers."""
    import llama_cpp

    from qa.answer.llm.loader import open_llama, repack_weights

    started = time.perf_counter()
    llm = open_llama(path, repack=repack_weights(repack), n_ctx=n_prompt + n_gen + 16, n_threads=threads,
                     n_threads_batch=threads, flash_attn=flash, verbose=False)
    load_s = time.perf_counter() - started
    tokens = prompt_tokens(llm, n_prompt)
    prompt_rates, gen_rates = [], []
    for _ in range(reps):
        llm.reset()
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        llm.eval(tokens)
        for _ in range(n_gen):
            llm.eval([llm.sample(temp=0.0)])
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
        prompt_rates.append(perf.n_p_eval / (perf.t_p_eval_ms / 1000))
        gen_rates.append(perf.n_eval / (perf.t_eval_ms / 1000))
    del llm
    row = {"file": path.name, "size_mb": round(path.stat().st_size / 2**20, 1), "threads": threads,
           "flash_attn": flash, "repack": repack, "repack_on": repack_weights(repack), "load_s": round(load_s, 2),
           "prompt_tok_s": round(statistics.median(prompt_rates), 1),
           "gen_tok_s": round(statistics.median(gen_rates), 1),
           "prompt_s": round(n_prompt / statistics.median(prompt_rates), 2)}
    return row


def child(args: argparse.Namespace) -> None:
    """One measurement, in this process's llama.cpp build: its row as one JSON line on stdout."""
    path, fmt = Path(args.child[0]), args.child[1]
    for threads in args.threads:
        for flash in args.flash:
            for repack in args.repack:
                row = measure(path, threads=threads, flash=flash == "on", n_prompt=args.prompt_tokens,
                              n_gen=args.gen, reps=args.reps, repack=repack)
                print(json.dumps({"format": fmt, "build_info": llama_build(), **row}), flush=True)


def run_child(build_dir: str, path: Path, fmt: str, args: argparse.Namespace) -> list[dict]:
    env = dict(os.environ)
    if build_dir:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (build_dir, env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, __file__, "--child", str(path), fmt, "--threads", *map(str, args.threads),
           "--flash", *args.flash, "--repack", *args.repack, "--prompt-tokens", str(args.prompt_tokens),
           "--gen", str(args.gen), "--reps", str(args.reps)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {path.name} failed:\n{done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def summarise(rows: list[dict]) -> list[dict]:
    """Median over rounds per (build, format, threads, flash, repack), with ratios to native Q4_K_M,
    flash off, the first ``--repack`` setting."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["build"], row["format"], row["threads"], row["flash_attn"], row.get("repack", "auto"))
        groups.setdefault(key, []).append(row)
    table = []
    first_repack = rows[0].get("repack", "auto") if rows else "auto"
    for (build, fmt, threads, flash, repack), group in groups.items():
        table.append({"build": build, "format": fmt, "threads": threads, "flash_attn": flash,
                      "repack": repack, "repack_on": group[0].get("repack_on"), "rounds": len(group),
                      "prompt_tok_s": round(statistics.median(r["prompt_tok_s"] for r in group), 1),
                      "gen_tok_s": round(statistics.median(r["gen_tok_s"] for r in group), 1),
                      "prompt_tok_s_per_round": [r["prompt_tok_s"] for r in group]})
    base = {(t["threads"]): t for t in table if t["build"] == "native" and t["format"] == "q4_k_m"
            and not t["flash_attn"] and t["repack"] == first_repack}
    for t in table:
        ref = base.get(t["threads"])
        if ref:
            t["prompt_vs_native_q4_k_m"] = round(t["prompt_tok_s"] / ref["prompt_tok_s"], 3)
            t["gen_vs_native_q4_k_m"] = round(t["gen_tok_s"] / ref["gen_tok_s"], 3)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--formats", nargs="+", default=["q4_k_m", "q4_k_s", "q4_0", "iq4_nl", "q8_0"],
                    choices=sorted(FTYPES))
    ap.add_argument("--flash", nargs="+", default=["off", "on"], choices=["off", "on"])
    ap.add_argument("--threads", nargs="+", type=int, default=[2])
    ap.add_argument("--repack", nargs="+", default=["auto"], choices=["auto", "on", "off"],
                    help="llm.repack settings: llama.cpp's repacked weight buffers")
    ap.add_argument("--prompt-tokens", type=int, default=768)
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2, help="prompt evaluations per measurement (median)")
    ap.add_argument("--rounds", type=int, default=2, help="times each measurement is repeated, builds alternating")
    ap.add_argument("--build", action="append", default=[], metavar="NAME=DIR",
                    help="another llama.cpp build: DIR holds its llama_cpp package")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "llama_formats.json")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return

    import llama_cpp

    from qa.answer.llm.weights import resolve_model

    settings = load_settings()
    source = resolve_model(settings.llm.model, settings.llm.cache_dir)
    folder = Path(settings.llm.cache_dir) / "formats"
    builds = {"native": ""}
    for item in args.build:
        name, _, folder_arg = item.partition("=")
        if not name or not Path(folder_arg, "llama_cpp").is_dir():
            raise SystemExit(f"--build {item!r}: give NAME=DIR, DIR holding a llama_cpp package")
        builds[name] = folder_arg
    paths = {fmt: format_file(source, fmt, folder) for fmt in args.formats}
    print(f"cpu flags: {' '.join(cpu_flags())}; llama-cpp-python {llama_cpp.__version__}", flush=True)
    rows, infos = [], {}
    for round_no in range(args.rounds):
        for name, build_dir in builds.items():
            for fmt, path in paths.items():
                for row in run_child(build_dir, path, fmt, args):
                    infos[name] = row.pop("build_info")
                    rows.append({"round": round_no + 1, "build": name, **row})
                    print(json.dumps(rows[-1]), flush=True)
    table = summarise(rows)
    for name, info in infos.items():
        print(f"{name}: {info}")
    for t in table:
        print(f"{t['build']:>8} {t['format']:>7} threads {t['threads']} flash {'on ' if t['flash_attn'] else 'off'}"
              f" repack {t['repack']:>4}"
              f"  prompt {t['prompt_tok_s']:6.1f} tok/s ({t.get('prompt_vs_native_q4_k_m', 0):.2f}x)"
              f"  generation {t['gen_tok_s']:5.1f} tok/s ({t.get('gen_vs_native_q4_k_m', 0):.2f}x)")
    result = {"cpu_flags": cpu_flags(), "llama_cpp_python": llama_cpp.__version__, "builds": infos,
              "prompt_tokens": args.prompt_tokens, "gen_tokens": args.gen, "reps": args.reps,
              "rounds": args.rounds, "summary": table, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
