"""The browser app (Gradio): chat with streamed, cited answers, search, uploads, paragraph viewer.

``serve(settings)`` starts it; the pure pieces (``render``, ``followup``, ``auth``, ``uploads``) have no
Gradio dependency and are unit-tested on their own.
"""

from qa.ui.server import serve

__all__ = ["serve"]
