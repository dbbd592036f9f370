"""What the browser is told when something fails: the reason, never the server's internals.

The app may serve people who do not run it (``--auth`` on a shared machine), so a message shown in the
page carries no server paths and no Python object reprs:

- a ``QAError`` is ours and written for the user: it is shown with each absolute path cut to its last
  part (``/srv/qa/index/default/store.sqlite`` -> ``store.sqlite``);
- anything else is a bug or an OS failure: the page gets a short reference, the server's log gets the
  traceback under the same reference.
"""

from __future__ import annotations

import logging
import re
import secrets

from qa.errors import QAError

log = logging.getLogger(__name__)

# A POSIX absolute path (at least two parts) or a Windows drive path, up to a space, quote or bracket.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s'\"()<>\[\]{}:,;]+){2,}|\b[A-Za-z]:\\[^\s'\"()<>\[\]{}]+")
_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


def strip_paths(text: str) -> str:
    """``text`` with absolute paths reduced to their last part and object reprs to their class name."""
    text = _ABSOLUTE_PATH.sub(lambda m: re.split(r"[\\/]", m.group(0).rstrip("/\\"))[-1] or "…", text)
    return _OBJECT_REPR.sub(lambda m: m.group(0)[1:].split(" object at", 1)[0].rsplit(".", 1)[-1], text)


def shown(exc: BaseException, doing: str = "doing that") -> str:
    """The message the page shows for ``exc``; anything but a ``QAError`` is logged with a reference."""
    if isinstance(exc, QAError):
        return strip_paths(str(exc))
    reference = secrets.token_hex(4)
    log.error("error %s while %s", reference, doing, exc_info=exc)
    return (f"Something went wrong while {doing} (error {reference}). The server's log has the details "
            "under that reference.")
