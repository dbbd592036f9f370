"""``qa serve``: the browser app (same as ``python app.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qa.settings import Settings

HELP = "serve the chat app in the browser (127.0.0.1:7860 by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; others need --auth)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--auth", metavar="USER:PASS", help="require this user and password to sign in")
    parser.add_argument("--allowed-hosts", metavar="NAMES",
                        help="comma-separated host names the app also answers to (a LAN name, a proxy's; * for any)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"serve.host": args.host, "serve.port": args.port, "serve.auth": args.auth,
            "serve.allowed_hosts": args.allowed_hosts,
            "index.dir": args.index_dir}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.ui.server import serve

    serve(settings)
    return 0
