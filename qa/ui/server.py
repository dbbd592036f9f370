"""Starting the app: check who may connect, open the index, then launch Gradio.

The authentication check comes first, so a refused start (a public address without ``--auth``) exits
at once without loading models. Every request then passes ``qa.ui.guard.HostGuard``: only this app's
host names and its own pages are answered, and Gradio's API routes are closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from qa.errors import QAError
from qa.settings import Settings
from qa.ui.auth import LoginGuard, login_for

log = logging.getLogger(__name__)

QUEUE_SIZE = 64  # questions waiting beyond this are refused with "queue full" instead of piling up


def serve(settings: Settings, *, block: bool = True) -> object:
    """Launch the app on ``settings.serve.host:port`` (blocking unless ``block=False``; returns the app)."""
    login = login_for(settings.serve.host, settings.serve.auth)
    from qa.ui.backend import LocalBackend  # heavy: imported only once the start is allowed
    from qa.ui.layout import build_app

    backend = LocalBackend(settings)
    app = build_app(backend, settings)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    threading.Thread(target=backend.warm_up, name="warm-up", daemon=True).start()
    return launch(app, settings, login=login, block=block)


def launch(app: Any, settings: Settings, *, login: tuple[str, str] | Callable[[str, str], bool] | None = None,
           block: bool = True, quiet: bool = False) -> Any:
    """Serve the Blocks ``app`` as ``qa serve`` does: guarded, styled, with ``login`` required if given
    (a user and password, or a check such as ``LoginGuard``)."""
    import gradio as gr
    from starlette.middleware import Middleware

    from qa.ui.guard import HostGuard, allowed_hosts
    from qa.ui.style import CSS

    serve_settings = settings.serve
    guard = Middleware(HostGuard, allowed=allowed_hosts(serve_settings.host, serve_settings.allowed_hosts))
    try:
        app.launch(
            server_name=serve_settings.host,
            server_port=serve_settings.port,
            auth=LoginGuard(*login) if isinstance(login, tuple) else login,
            auth_message="cableqa: sign in with the user and password given to --auth." if login else None,
            max_file_size=f"{max(1, int(serve_settings.max_upload_mb * 1_000_000))}b",
            css=CSS,
            theme=gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),
            show_error=False,  # handlers report their own errors (``qa.ui.errors``), without internals
            ssr_mode=False,
            app_kwargs={"middleware": [guard]},
            prevent_thread_lock=not block,
            quiet=quiet,
        )
    except OSError as exc:
        raise QAError(
            f"cannot listen on {serve_settings.host}:{serve_settings.port}: {exc}. "
            "Choose another port with --port (or $QA_PORT)."
        ) from exc
    return app
