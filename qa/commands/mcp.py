"""``qa mcp``: serve the index as tools for an assistant over stdio (Model Context Protocol)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qa.settings import Settings

HELP = "serve search, ask, get_paragraph and get_cable as MCP tools over stdio (for Claude Desktop and others)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.mcp_server import run as serve_mcp

    serve_mcp(settings)
    return 0
