"""Starting the app: check who may connect, open the index, then launch Gradio.

The authentication check comes first, so a refused start (a public address without ``--auth``)
exits at once without loading models.
"""

from __future__ import annotations

import logging
import threading

from qa.errors import QAError
from qa.settings import Settings
from qa.ui.auth import LoginGuard, login_for

log = logging.getLogger(__name__)

QUEUE_SIZE = 64  # questions waiting beyond this are refused with "queue full" instead of piling up


def serve(settings: Settings, *, block: bool = True) -> object:
    """Launch the app on ``settings.serve.host:port`` (blocking unless ``block=False``; returns the app)."""
    serve_settings = settings.serve
    login = login_for(serve_settings.host, serve_settings.auth)
    import gradio as gr  # heavy: imported only once the start is allowed

    from qa.ui.backend import LocalBackend
    from qa.ui.layout import build_app
    from qa.ui.style import CSS

    backend = LocalBackend(settings)
    app = build_app(backend, settings)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    threading.Thread(target=backend.warm_up, name="warm-up", daemon=True).start()
    try:
        app.launch(
            server_name=serve_settings.host,
            server_port=serve_settings.port,
            auth=LoginGuard(*login) if login else None,
            auth_message="cableqa: sign in with the user and password given to --auth." if login else None,
            max_file_size=f"{max(1, int(serve_settings.max_upload_mb * 1_000_000))}b",
            css=CSS,
            theme=gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),
            show_error=True,
            ssr_mode=False,
            prevent_thread_lock=not block,
        )
    except OSError as exc:
        raise QAError(
            f"cannot listen on {serve_settings.host}:{serve_settings.port}: {exc}. "
            "Choose another port with --port (or $QA_PORT)."
        ) from exc
    return app
