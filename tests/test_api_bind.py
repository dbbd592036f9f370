"""``qa api`` beyond loopback needs a key, refused before anything loads; chat requests are read as users
send them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qa.api_server import question_of
from qa.errors import QAError

ROOT = Path(__file__).resolve().parents[1]


def test_a_public_bind_without_a_key_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "qa.cli", "api", "--host", "0.0.0.0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "without a key" in done.stderr and "Traceback" not in done.stderr


def test_the_last_user_message_is_the_question_and_the_one_before_feeds_follow_ups() -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Cases in 2005?"},
                {"role": "assistant", "content": "123"},
                {"role": "user", "content": [{"type": "text", "text": "and in 2004?"}]}]
    assert question_of(messages) == ("and in 2004?", "Cases in 2005?")
    with pytest.raises(QAError):
        question_of([{"role": "system", "content": "hi"}])
