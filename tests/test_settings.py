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


@pytest.mark.parametrize(("name", "value"), [("QA_SEARCH__K", "-5"), ("QA_ANSWER__K", "0"), ("QA_PORT", "70000"),
                                             ("QA_EMBED__WINDOW_TOKENS", "3")])
def test_out_of_range_numbers_are_refused(name: str, value: str) -> None:
    with pytest.raises(QAError, match="out of range"):
        load_settings(None, {name: value}, {})


def test_search_k_flag_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli import main

    assert main(["search", "anything", "-k", "-5"]) == 2
    assert "search.k" in capsys.readouterr().err


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_a_bad_question_is_refused_before_any_model_loads(question: str, tmp_path, capsys) -> None:
    """The model named does not exist: a refusal of the question, not of the model, shows the order."""
    from qa.cli import main

    code = main(["ask", question, "--model", str(tmp_path / "absent.gguf"), "--index-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and ("empty" in err or "answer.max_question_chars" in err), err
