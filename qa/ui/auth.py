"""Who may reach the app: binding beyond this machine requires a user name and password.

Pure functions; ``qa/ui/server.py`` calls ``login_for`` before anything heavy is loaded, so a refused
start costs nothing.
"""

from __future__ import annotations

import ipaddress

from qa.errors import QAError

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost).

    ``0.0.0.0`` and ``::`` mean every interface, so they are not loopback.
    """
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost: assume it is reachable from outside


def parse_auth(value: str) -> tuple[str, str]:
    """``"user:pass"`` -> ``("user", "pass")``; the password may itself contain ``:``."""
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise QAError(
            f"authentication {value!r} is not of the form user:password "
            "(give --auth user:password, or set serve.auth / $QA_AUTH)"
        )
    return user.strip(), password


def login_for(host: str, auth: str | None) -> tuple[str, str] | None:
    """The (user, password) the app must require on ``host``, or None when it may run open.

    Refuses (``QAError``) to serve a non-loopback address without authentication.
    """
    if auth:
        return parse_auth(auth)
    if is_loopback(host):
        return None
    raise QAError(
        f"refusing to serve on {host}: that address is reachable from other machines and no "
        "authentication is set. Give --auth user:password (or set serve.auth in the config file, "
        "or $QA_AUTH), or bind to 127.0.0.1."
    )
