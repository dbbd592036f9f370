"""What text of a paragraph is embedded: the paragraph alone, or prefixed by its cable's SUBJECT.

Header and routing lines are never embedded (the parser keeps them out of paragraphs); a paragraph
longer than the model's window becomes several overlapping windows that all point to it.
"""

from __future__ import annotations

from typing import Any

from qa.documents import Document, Paragraph


def embedding_windows(embedder: Any, doc: Document, para: Paragraph, with_subject: bool) -> list[str]:
    """The window texts embedded for one paragraph."""
    text = para.text
    if with_subject and doc.title:
        text = f"{doc.title}: {text}"
    return embedder.windows(text)
