"""Who may reach the app: binding beyond this machine requires a user name and password.

Pure functions; ``qa/ui/server.py`` calls ``login_for`` before anything heavy is loaded, so a refused
start costs nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from qa.errors import QAError

log = logging.getLogger(__name__)

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


class LoginGuard:
    """The app's login check: the password compared in constant time, and guessing slowed to a crawl.

    After ``max_failures`` wrong logins within ``window_s`` seconds, every login, right or wrong, is
    refused until the oldest of them is ``window_s`` old. The check sees no client address (Gradio
    passes only the user and password), so the limit is for the whole app: a guesser can lock the
    owner out for a minute, but can try only ``max_failures`` passwords a minute.
    """

    def __init__(self, user: str, password: str, *, max_failures: int = 5, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._user, self._password = user.encode(), password.encode()
        self.max_failures, self.window_s, self._clock = max_failures, window_s, clock
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        with self._lock:
            now = self._clock()
            while self._failures and now - self._failures[0] >= self.window_s:
                self._failures.popleft()
            if len(self._failures) >= self.max_failures:
                log.warning("login refused: %d wrong logins in the last %.0f s", len(self._failures), self.window_s)
                return False
            # both compared, always: how long a refusal takes says nothing about which part was wrong
            right_user = hmac.compare_digest(user.strip().encode(), self._user)
            right_password = hmac.compare_digest(password.encode(), self._password)
            if right_user and right_password:
                return True
            self._failures.append(now)
            return False
