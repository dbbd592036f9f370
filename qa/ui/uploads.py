"""Checking files a user drops into the app before they are indexed: type, size, a safe name.

Pure except ``keep``, which copies accepted files into the index's ``uploads/`` folder so the index
keeps pointing at a file that lasts (Gradio's temporary copies are deleted).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from qa.parse.loaders import KNOWN_SUFFIXES, is_readable_type

ALLOWED_SUFFIXES = KNOWN_SUFFIXES  # what the loaders read, no more and no less
_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass
class UploadCheck:
    """Which uploads may be indexed, and a message for each one refused."""

    accepted: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)  # the server's copies of what was refused


def safe_name(name: str) -> str:
    """A file name with no folders and no characters that could surprise a shell or a URL."""
    base = Path(name).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    return cleaned or "upload.txt"


def check_uploads(paths: list[Path], max_mb: float) -> UploadCheck:
    """Accept the file types the loaders read, up to ``max_mb`` (setting ``serve.max_upload_mb``)."""
    check = UploadCheck()
    for path in paths:
        name = path.name
        if not is_readable_type(name):
            check.errors.append(
                f"{name}: not added: only {', '.join(ALLOWED_SUFFIXES)} files can be indexed"
            )
            check.refused.append(path)
            continue
        size = path.stat().st_size if path.exists() else -1
        if size < 0:
            check.errors.append(f"{name}: not added: the upload did not arrive; try again")
        elif size == 0:
            check.errors.append(f"{name}: not added: the file is empty")
        elif size > max_mb * 1e6:
            check.errors.append(
                f"{name}: not added: {size / 1e6:.1f} MB is over the {max_mb:g} MB limit "
                "(setting serve.max_upload_mb); index large files with `qa index` instead"
            )
        else:
            check.accepted.append(path)
            continue
        check.refused.append(path)
    return check


def discard(paths: list[Path]) -> None:
    """Delete the server's temporary copies of refused uploads: nothing refused stays on disk."""
    for path in paths:
        with contextlib.suppress(OSError):  # not ours to delete: nothing more to do
            path.unlink(missing_ok=True)


def keep(paths: list[Path], folder: Path) -> list[Path]:
    """Copy accepted uploads into ``folder`` (the index's uploads folder, ``IndexFolder.uploads_dir``;
    same name: the newer upload replaces it)."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for path in paths:
        target = folder / safe_name(path.name)
        shutil.copyfile(path, target)
        kept.append(target)
    return kept
