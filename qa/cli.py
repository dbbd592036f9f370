"""The ``qa`` console script: a thin dispatcher over the subcommand modules in ``qa/commands``.

Each subcommand module defines ``HELP``, ``add_arguments(parser)`` and ``run(args, settings) -> int``,
and optionally ``overrides(args) -> {"section.field": value}`` for flags that change settings.
Modules are imported only when their command runs, so ``qa parse`` never loads torch.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
from pathlib import Path

from qa.errors import QAError
from qa.settings import load_settings

COMMANDS = {
    "parse": "qa.commands.parse",
    "index": "qa.commands.index",
    "search": "qa.commands.search",
    "ask": "qa.commands.ask",
    "models": "qa.commands.models",
    "eval": "qa.commands.eval",
    "serve": "qa.commands.serve",
    "mcp": "qa.commands.mcp",
    "api": "qa.commands.api",
    "refs": "qa.commands.refs",
    "timeline": "qa.commands.timeline",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="qa", description="Local question answering over cables.")
    parser.add_argument("--config", type=Path, help="TOML settings file (see README: Settings)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # command not built yet
            raise
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run, _overrides=getattr(module, "overrides", None))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, read settings once, run the command, turn errors into exit codes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        overrides = args._overrides(args) if args._overrides else {}
        settings = load_settings(args.config, os.environ, overrides)
        return int(args._run(args, settings) or 0)
    except QAError as exc:
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.DatabaseError as exc:  # a store damaged past what opening it checks
        print(f"qa {args.command}: error: the index store is damaged ({exc}); rebuild it: qa index PATH... "
              "--index-dir DIR --rebuild", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"qa {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
