"""The manifest beside an index: what made it, so a mismatched index is refused rather than misread."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read(index_dir: Path) -> Manifest | None:
    """The manifest of the index in ``index_dir``, None if there is none yet."""
    path = index_dir / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except (json.JSONDecodeError, TypeError) as exc:
        raise QAError(
            f"the index manifest {path} is unreadable ({exc}); " + REBUILD_HINT.format(dir=index_dir),
            exit_code=3,
        ) from exc


def write(index_dir: Path, manifest: Manifest) -> None:
    """Write atomically: a reader sees the old manifest or the new one, never half of one."""
    path = index_dir / MANIFEST_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2), encoding="utf-8")
    os.replace(tmp, path)


def check(found: Manifest, expected: Manifest, index_dir: Path, *, strict_parser: bool) -> list[str]:
    """Raise a QAError when the index cannot be used with these settings; return soft warnings.

    Embedder, dimension and schema must match (vectors from another model are meaningless to this
    one). A different parser version only matters when adding documents, so it is a warning for
    search and an error for indexing (``strict_parser``).
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
    if found.with_subject != expected.with_subject:
        raise QAError(
            f"index {index_dir} was built with embed.with_subject={found.with_subject}, the settings say "
            f"{expected.with_subject}; change the setting back or {hint}",
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
