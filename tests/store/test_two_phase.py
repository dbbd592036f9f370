"""Indexing in two phases, with the real embedder in a real ``qa index`` process: killed (SIGKILL)
while embedding, the index already answers searches by words (and by meaning for what has vectors),
says how much is embedded, and ``qa index`` with no path finishes the job, ending with the same
vectors as a run that was never stopped."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CABLES, ROOT, needs_shared

pytestmark = [needs_shared(), pytest.mark.slow, pytest.mark.timeout(900)]


def qa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def counts(db: Path) -> tuple[int, int]:
    """(paragraphs, paragraphs with a vector), read as any reader would, while the writer runs."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            paragraphs = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
            embedded = conn.execute("SELECT count(DISTINCT paragraph) FROM vectors").fetchone()[0]
            return paragraphs, embedded
    except sqlite3.Error:
        return 0, 0


def test_killed_while_embedding_then_resumed(tmp_path: Path) -> None:
    folder = tmp_path / "cables"
    folder.mkdir()
    for path in sorted(CABLES.glob("*.txt"))[:120]:
        (folder / path.name).write_bytes(path.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", QA_INDEX__EMBED_BATCH="40")
    index = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "index", str(folder), "--index-dir", str(index)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    db = next(iter(index.glob("**/store.sqlite")), None)
    while True:
        assert proc.poll() is None, "the run ended before it could be stopped mid-embedding"
        assert time.monotonic() < deadline
        db = db or next(iter(index.glob("**/store.sqlite")), None)
        manifest = next(iter(index.glob("**/manifest.json")), None)
        if db is not None and manifest is not None:
            paragraphs, embedded = counts(db)
            if paragraphs and 0 < embedded < paragraphs / 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    # Searchable at once: by words for all, with the text phase complete.
    status = json.loads(qa("index", "--status", "--json", "--index-dir", str(index), env=env).stdout)
    assert status["documents"] > 100  # all 120 files parsed and stored (a few hold no paragraph)
    assert 0 < status["embedded"] < status["paragraphs"]
    found = qa("search", "Chavez", "--mode", "lexical", "--json", "-k", "3", "--index-dir", str(index), env=env)
    assert found.returncode == 0, found.stderr
    assert [json.loads(line)["doc_id"] for line in found.stdout.splitlines()]
    hybrid = qa("search", "elections", "--json", "-k", "3", "--index-dir", str(index), env=env)
    assert hybrid.returncode == 0, hybrid.stderr
    text = qa("index", "--status", "--index-dir", str(index), env=env).stdout
    assert "have no vector yet" in text

    # Resumed: qa index with no path embeds what is missing, and nothing else.
    resumed = qa("index", "--json", "--index-dir", str(index), env=env)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["added"] == 0 and summary["new_paragraphs"] == 0 and summary["embedded"] > 0
    after = json.loads(qa("index", "--status", "--json", "--index-dir", str(index), env=env).stdout)
    assert after["embedded"] == after["paragraphs"] == status["paragraphs"]

    # The same vectors as a run that was never stopped.
    whole = tmp_path / "whole"
    assert qa("index", str(folder), "--index-dir", str(whole), env=env).returncode == 0
    reference = json.loads(qa("index", "--status", "--json", "--index-dir", str(whole), env=env).stdout)
    assert (after["vectors"], after["paragraphs"], after["documents"]) == (
        reference["vectors"], reference["paragraphs"], reference["documents"])
    dense = qa("search", "elections", "--mode", "dense", "--json", "-k", "5", "--index-dir", str(index), env=env)
    dense_ref = qa("search", "elections", "--mode", "dense", "--json", "-k", "5", "--index-dir", str(whole), env=env)
    assert [json.loads(x)["doc_id"] for x in dense.stdout.splitlines()] == [
        json.loads(x)["doc_id"] for x in dense_ref.stdout.splitlines()]
