"""``qa api``: an OpenAI-compatible HTTP API (127.0.0.1:8000 by default; a key is required beyond it)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qa.settings import Settings

HELP = "serve an OpenAI-compatible API: /v1/chat/completions, /v1/models, /v1/search (127.0.0.1:8000)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; others need --api-key)")
    parser.add_argument("--port", type=int, help="port (default 8000)")
    parser.add_argument("--api-key", help="key every request must send as 'Authorization: Bearer KEY' ($QA_API_KEY)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"api.host": args.host, "api.port": args.port, "api.key": args.api_key, "index.dir": args.index_dir}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.api_server import run as serve_api

    serve_api(settings)
    return 0
