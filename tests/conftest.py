"""Shared fixtures: paths to the shared data, settings that never touch the user's home or index/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CABLES = SHARED / "corpus" / "cables"
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not CABLES.is_dir(), reason="../shared corpus not present")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the user's QA_* settings or writes into the project's index/ folder."""
    for name in list(os.environ):
        if name.startswith("QA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path_factory.mktemp("default-index")))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = load_settings(None, {}, {})
    s.index.dir = tmp_path / "index"
    s.index.commit_every = 5
    return s
