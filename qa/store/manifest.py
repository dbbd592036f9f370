"""The manifest beside an index: what made it, so a mismatched index is refused rather than misread.

It records everything that changes the stored paragraphs or vectors: the schema and parser versions,
the embedder (model and precision), its dimension, the window size and overlap, and the recipe of
the embedded text (with or without the SUBJECT). Opening an index with settings that would make
other vectors fails with the setting's name and the command to rebuild.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from qa.errors import QAError

MANIFEST_NAME = "manifest.json"
REBUILD_HINT = "rebuild it: qa index PATH... --index-dir {dir} --rebuild"


@dataclass
class Manifest:
    """Recorded at build time and checked at every open."""

    schema_version: int
    parser_version: str
    embedder: str
    dim: int
    vector_index: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    updated: str = ""
    with_subject: bool = False
    # Indexes written before these were recorded used the defaults of the time (256 / 32).
    window_tokens: int = 256
    window_overlap: int = 32
    embed_text: str = "subject-prefix-1"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# Fields that change what is stored: (field, the setting a user changes, what to say).
_VECTOR_FIELDS = (
    ("with_subject", "embed.with_subject"),
    ("window_tokens", "embed.window_tokens"),
    ("window_overlap", "embed.window_overlap"),
    ("embed_text", "the embedded-text recipe of this cableqa"),
)


def read(path: Path) -> Manifest | None:
    """The manifest at ``path``, None if there is none yet; an unreadable one is a QAError."""
    if not path.exists():
        return None
    index_dir = path.parent
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Manifest)}
        return Manifest(**{k: v for k, v in data.items() if k in known})
    except (json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise QAError(
            f"the index manifest {path} is unreadable ({exc}); " + REBUILD_HINT.format(dir=index_dir),
            exit_code=3,
        ) from exc


def write(path: Path, manifest: Manifest) -> None:
    """Write atomically: a reader sees the old manifest or the new one, never half of one."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2), encoding="utf-8")
    os.replace(tmp, path)


def check(found: Manifest, expected: Manifest, index_dir: Path, *, strict_parser: bool) -> list[str]:
    """Raise a QAError when the index cannot be used with these settings; return soft warnings.

    Embedder, dimension, schema, windows and the embedded-text recipe must match (vectors made
    another way are meaningless to this query encoder, and an incremental run would mix the two).
    A different parser version only matters when adding documents, so it is a warning for search
    and an error for indexing (``strict_parser``).
    """
    hint = REBUILD_HINT.format(dir=index_dir)
    if found.schema_version != expected.schema_version:
        raise QAError(
            f"index {index_dir} has schema version {found.schema_version}, this cableqa uses "
            f"{expected.schema_version}; {hint}",
            exit_code=3,
        )
    if found.embedder != expected.embedder or found.dim != expected.dim:
        raise QAError(
            f"index {index_dir} was built with embedder {found.embedder} (dim {found.dim}) but the settings "
            f"select {expected.embedder} (dim {expected.dim}); use the same embedder (QA_EMBED_MODEL, "
            f"embed.quantize) or {hint}",
            exit_code=3,
        )
    for name, setting in _VECTOR_FIELDS:
        was, now = getattr(found, name), getattr(expected, name)
        if was != now:
            raise QAError(
                f"index {index_dir} was built with {name}={was!r}, the settings give {now!r} ({setting}); "
                f"change the setting back or {hint}",
                exit_code=3,
            )
    if found.parser_version != expected.parser_version:
        msg = (
            f"index {index_dir} was parsed by parser {found.parser_version}, this cableqa has "
            f"{expected.parser_version}"
        )
        if strict_parser:
            raise QAError(f"{msg}; adding documents would mix two parsings: {hint}", exit_code=3)
        return [msg + "; paragraphs may differ from a fresh parse"]
    return []
