"""``qa mcp``: serve the index as tools for an assistant over stdio (Model Context Protocol)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qa.settings import Settings

HELP = "serve search, ask, get_paragraph and get_cable as MCP tools (stdio, or --http) for assistants"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    parser.add_argument("--http", action="store_true", help="streamable HTTP at http://HOST:PORT/mcp instead of stdio")
    parser.add_argument("--host", help="with --http: address to bind (default 127.0.0.1; others need --api-key)")
    parser.add_argument("--port", type=int, help="with --http: port (default 8000)")
    parser.add_argument("--api-key", help="with --http: key every request must send ($QA_API_KEY)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir, "api.host": args.host, "api.port": args.port, "api.key": args.api_key}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.mcp_server import run as serve_mcp

    serve_mcp(settings, http=args.http)
    return 0
