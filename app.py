"""The cableqa browser app: ``python app.py [--host H] [--port P] [--auth user:pass] [--index-dir DIR]``.

The same as ``qa serve`` (``--config FILE`` and ``-v`` are accepted too); see ``qa/ui`` for the app.
"""

from __future__ import annotations

import sys

from qa.cli import main


def cli_args(args: list[str]) -> list[str]:
    """``app.py`` flags as ``qa`` arguments: global options first, then ``serve`` and its own."""
    front: list[str] = []
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg in ("-v", "--verbose") or arg.startswith("--config="):
            front.append(arg)
        elif arg == "--config":
            front += [arg, next(it, "")]
        else:
            rest.append(arg)
    return [*front, "serve", *rest]


if __name__ == "__main__":
    sys.exit(main(cli_args(sys.argv[1:])))
