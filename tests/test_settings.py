from pathlib import Path

import pytest

from qa.errors import QAError
from qa.settings import load_settings


def test_layers_override_in_order(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[search]\nk = 7\ndense_weight = 0.5\n[index]\ndir = "/tmp/from-config"\n')
    s = load_settings(cfg, {"QA_SEARCH__K": "9", "QA_INDEX_DIR": "/tmp/from-env"}, {"search.k": 11})
    assert s.search.k == 11  # flag beats env beats config
    assert s.search.dense_weight == 0.5  # config beats default
    assert s.index.dir == Path("/tmp/from-env")


def test_unset_flags_do_not_clobber(tmp_path: Path) -> None:
    s = load_settings(None, {"QA_LLM_MODEL": "/models/x.gguf"}, {"llm.model": None})
    assert s.llm.model == "/models/x.gguf"


@pytest.mark.parametrize(
    "text, fragment",
    [("[search]\nkk = 1\n", "unknown setting search.kk"), ("[nope]\nk = 1\n", "unknown settings section"),
     ("[search]\nk = 'many'\n", "not a valid int"), ("[search\n", "not valid TOML")],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, fragment: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(QAError, match=fragment):
        load_settings(cfg, {}, {})


def test_bool_and_optional_from_env() -> None:
    s = load_settings(None, {"QA_EMBED__WITH_SUBJECT": "yes", "QA_SERVE__AUTH": ""}, {})
    assert s.embed.with_subject is True and s.serve.auth is None
    with pytest.raises(QAError):
        load_settings(None, {"QA_EMBED__WITH_SUBJECT": "perhaps"}, {})
