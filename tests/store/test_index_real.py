"""The index through the real thing: the packaged embedder, the `qa` CLI in subprocesses, kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CABLES, SEED, needs_shared

QA = [sys.executable, "-m", "qa.cli"]
pytestmark = pytest.mark.slow


def qa(
    *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args], capture_output=True, text=True, env=env or os.environ.copy(), input=input, timeout=900
    )


def generation(index_dir: Path) -> int:
    db = index_dir / "store.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        row = con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        con.close()
        return int(row[0]) if row else 0
    except sqlite3.Error:
        return 0


def test_seed_index_search_json(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    out = qa("index", str(SEED), "--index-dir", str(idx), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["added"] == 1 and summary["totals"]["paragraphs"] == 14
    res = qa("search", "number of trafficking cases in 2005", "--index-dir", str(idx), "--json", "-k", "3")
    hits = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.returncode == 0 and len(hits) == 3
    assert hits[0]["doc_id"] == "06PHNOMPENH657" and hits[0]["paragraph"] == 5
    assert set(hits[0]["metadata"]) >= {"subject", "origin", "created", "classification", "tags"}
    assert hits[0]["metadata"]["tags"] == ["PHUM", "PREL", "KWMN", "CB"]
    batch = qa(
        "search",
        "-",
        "--index-dir",
        str(idx),
        "--json",
        "-k",
        "2",
        input="Who directs the AHTJP Department?\n\nforeign pedophiles arrested\n",
    )
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["Who directs the AHTJP Department?", "foreign pedophiles arrested"]
    assert lines[0]["hits"][0]["paragraph"] == 6 and lines[1]["hits"][0]["paragraph"] == 7
    status = qa("index", "--status", "--index-dir", str(idx), "--json")
    info = json.loads(status.stdout)
    assert info["documents"] == 1 and info["embedder"].startswith("all-MiniLM-L6-v2")


def test_changed_window_setting_makes_search_ask_for_a_rebuild(tmp_path: Path) -> None:
    """`qa search` with another embed.window_tokens than the index was built with: exit 3, the message
    names the setting and the rebuild command, no traceback."""
    idx = tmp_path / "idx"
    assert qa("index", str(SEED), "--index-dir", str(idx)).returncode == 0
    env = {**os.environ, "QA_EMBED__WINDOW_TOKENS": "128"}
    res = qa("search", "trafficking cases", "--index-dir", str(idx), env=env)
    assert res.returncode == 3, res.stderr
    assert "embed.window_tokens" in res.stderr and "--rebuild" in res.stderr and "Traceback" not in res.stderr
    assert qa("search", "trafficking cases", "--index-dir", str(idx)).returncode == 0


def test_missing_index_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    res = qa("search", "anything", "--index-dir", str(tmp_path / "nothing"))
    assert res.returncode == 3
    assert "no index at" in res.stderr and "qa index" in res.stderr and "Traceback" not in res.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    res = qa("index", str(empty / "missing.txt"), "--index-dir", str(tmp_path / "i2"))
    assert res.returncode == 1 and "no such file" in res.stderr


@needs_shared()
def test_kill_9_mid_index_leaves_a_searchable_index_and_rerun_finishes(tmp_path: Path) -> None:
    src = tmp_path / "cables"
    src.mkdir()
    for f in sorted(CABLES.glob("*.txt"))[:120]:
        shutil.copy(f, src)
    shutil.copy(SEED, src)
    idx = tmp_path / "idx"
    first = qa("index", str(SEED), "--index-dir", str(idx))
    assert first.returncode == 0, first.stderr
    env = os.environ | {"QA_INDEX__COMMIT_EVERY": "10"}
    proc = subprocess.Popen(
        [*QA, "index", str(src), "--index-dir", str(idx)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    start_gen = generation(idx)
    deadline = time.monotonic() + 600
    while generation(idx) < start_gen + 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "indexing finished before it could be killed; use more files"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # A second writer is not blocked by a dead one's lock, and the index still answers.
    res = qa("search", "trafficking cases 2005", "--index-dir", str(idx), "--json", "-k", "3")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[0])["doc_id"] == "06PHNOMPENH657"

    again = qa("index", str(src), "--index-dir", str(idx), "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["unchanged"] >= 10  # committed batches are not redone
    assert summary["totals"]["documents"] == 121
    status = json.loads(qa("index", "--status", "--index-dir", str(idx), "--json").stdout)
    assert status["vector_index"]["generation"] == status["generation"]


def _staged_generation(idx: Path) -> int:
    """The generation of the newest data folder a rebuild is writing (-1 when there is none yet)."""
    staged = sorted(d for d in idx.glob("data-*") if d.is_dir() and (idx / "current").resolve() != d.resolve())
    return generation(staged[-1]) if staged else -1


@needs_shared()
@pytest.mark.parametrize("kill_at", [0, 1, 3])  # staging folder made, first batch in it, third batch in it
def test_kill_9_during_rebuild_leaves_the_old_index_searchable(tmp_path: Path, kill_at: int) -> None:
    src = tmp_path / "cables"
    src.mkdir()
    for f in sorted(CABLES.glob("*.txt"))[:80]:
        shutil.copy(f, src)
    idx = tmp_path / "idx"
    assert qa("index", str(SEED), "--index-dir", str(idx)).returncode == 0
    env = os.environ | {"QA_INDEX__COMMIT_EVERY": "10"}
    proc = subprocess.Popen([*QA, "index", str(src), "--index-dir", str(idx), "--rebuild"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while _staged_generation(idx) < kill_at and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the rebuild finished before it could be killed; use more files"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    res = qa("search", "trafficking cases 2005", "--index-dir", str(idx), "--json", "-k", "3")
    assert res.returncode == 0, res.stderr  # the old index, whole
    assert {json.loads(line)["doc_id"] for line in res.stdout.splitlines()} == {"06PHNOMPENH657"}
    again = qa("index", str(src), "--index-dir", str(idx), "--rebuild", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["totals"]["documents"] == 80
    assert len([d for d in idx.glob("data-*") if d.is_dir()]) == 1  # the killed run's folder is gone
    res = qa("search", "trafficking cases 2005", "--index-dir", str(idx), "--json", "-k", "3")
    assert res.returncode == 0 and "06PHNOMPENH657" not in res.stdout  # the new index, whole


def test_rebuild_from_a_missing_folder_keeps_the_index(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    assert qa("index", str(SEED), "--index-dir", str(idx)).returncode == 0
    res = qa("index", str(tmp_path / "not-there"), "--index-dir", str(idx), "--rebuild")
    assert res.returncode == 2 and "unchanged" in res.stderr and "Traceback" not in res.stderr
    res = qa("index", str(tmp_path / "not-there"), "--index-dir", str(idx), "--prune")
    assert res.returncode == 2 and "nothing was indexed or pruned" in res.stderr
    status = json.loads(qa("index", "--status", "--index-dir", str(idx), "--json").stdout)
    assert status["documents"] == 1


def test_a_zero_byte_store_is_refused_not_recreated(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    assert qa("index", str(SEED), "--index-dir", str(idx)).returncode == 0
    for f in idx.glob("store.sqlite*"):
        f.unlink()
    (idx / "store.sqlite").write_bytes(b"")
    for args in (("search", "trafficking"), ("index", "--status"), ("index", str(SEED))):
        res = qa(*args, "--index-dir", str(idx))
        assert res.returncode == 3, (args, res.stderr)
        assert "damaged" in res.stderr and "--rebuild" in res.stderr and "Traceback" not in res.stderr
        assert (idx / "store.sqlite").stat().st_size == 0
    assert qa("index", str(SEED), "--index-dir", str(idx), "--rebuild").returncode == 0
    assert qa("search", "trafficking", "--index-dir", str(idx)).returncode == 0


def test_second_writer_stops_with_a_clear_message(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    idx.mkdir()
    import fcntl

    with open(idx / "index.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        res = qa("index", str(SEED), "--index-dir", str(idx))
    assert res.returncode == 5 and "another qa index is writing" in res.stderr
    assert qa("index", str(SEED), "--index-dir", str(idx)).returncode == 0
