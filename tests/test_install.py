"""``pip install .`` (not editable) into a new virtual environment outside the checkout, then ``qa index``
and ``qa ask`` on the seed cable from a folder that is not the checkout: the wheel carries everything
the product needs (prompts included), and nothing reads the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import ROOT, SEED

pytestmark = pytest.mark.slow

MODEL_CACHE = ROOT / ".cache" / "cableqa"  # where the other real-model tests assemble the packaged GGUF


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:3]} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A new venv with ``pip install <checkout>`` (its dependencies from the registry or pip's cache)."""
    from qa.answer.llm.weights import DEFAULT_MODEL, resolve_model

    outside = tmp_path_factory.mktemp("outside")
    env_dir = outside / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    _run([str(env_dir / "bin" / "pip"), "install", "-q", str(ROOT)], outside, env)
    # The language model is the user's own file here (the packaged one, assembled once by the suite),
    # so the test needs no second 1.1 GB copy of the model packages.
    model = resolve_model(None, MODEL_CACHE)
    assert model.name == DEFAULT_MODEL.filename
    env["QA_LLM_MODEL"] = str(model)
    env["QA_CACHE_DIR"] = str(outside / "cache")
    return outside, env_dir, env


def test_installed_package_is_not_the_checkout(installed: tuple[Path, Path, dict[str, str]]) -> None:
    outside, env_dir, env = installed
    code = "import qa, qa.prompts.templates as t; print(qa.__file__); print(t.PROMPTS_DIR)"
    done = _run([str(env_dir / "bin" / "python"), "-c", code], outside, env)
    package, prompts = done.stdout.split()
    assert Path(package).is_relative_to(env_dir) and not Path(package).is_relative_to(ROOT)
    assert (Path(prompts) / "answer.system.txt").is_file()


def test_index_and_ask_from_the_wheel(installed: tuple[Path, Path, dict[str, str]]) -> None:
    outside, env_dir, env = installed
    docs = outside / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs)
    qa = str(env_dir / "bin" / "qa")
    _run([qa, "index", "docs", "--index-dir", "idx", "--json"], outside, env)
    question = "How many human trafficking cases were reported in Cambodia in 2005?"
    done = _run([qa, "ask", question, "--index-dir", "idx", "--json"], outside, env)
    answer = json.loads(done.stdout)
    assert not answer["abstained"], answer["diagnostics"]
    assert "123" in answer["answer"]
    assert {"doc_id": "06PHNOMPENH657", "paragraph": 5} in [
        {k: c[k] for k in ("doc_id", "paragraph")} for s in answer["sentences"] for c in s["citations"]]
    assert not (ROOT / "idx").exists() and sys.prefix != str(env_dir)
    # The package data ships too: the TAGS glossary labels a tag, the timeline counts.
    counted = json.loads(_run([qa, "timeline", "trafficking", "--by", "tag", "--index-dir", "idx", "--json"],
                              outside, env).stdout)
    assert counted["total"] == 1
    code = "from qa.corpus.tags import tag_label; print(tag_label('PHUM'))"
    assert _run([str(env_dir / "bin" / "python"), "-c", code], outside, env).stdout.strip() == "PHUM (Human Rights)"
