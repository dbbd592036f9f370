"""One typed settings object, read once: defaults < config file < ``QA_*`` environment < flags.

No other module reads the environment. Every field is described; unknown keys are rejected so a typo
in a config file fails loudly instead of being ignored.

Environment variables: ``QA_<SECTION>__<FIELD>`` for any field (``QA_SEARCH__K=20``), plus the short
aliases in ``ENV_ALIASES`` (``QA_INDEX_DIR``, ``QA_LLM_MODEL``, ``QA_EMBED_MODEL``...).
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import QAError


@dataclass
class IndexSettings:
    dir: Path = field(
        default=Path("index") / "default",
        metadata={"help": "folder holding the built index (SQLite, FAISS, manifest); relative to the current folder"},
    )
    lock_timeout_s: float = field(
        default=0.0, metadata={"help": "how long a second `qa index` waits for the lock before giving up"}
    )
    commit_every: int = field(default=200, metadata={"min": 1, "help": "documents per committed batch"})
    embed_batch: int = field(
        default=1000, metadata={"min": 1, "help": "paragraphs embedded per committed batch (indexing's second phase)"}
    )
    max_file_mb: float = field(default=200.0, metadata={"help": "files larger than this are skipped"})


@dataclass
class EmbedSettings:
    model: str | None = field(
        default=None,
        metadata={"help": "local sentence-transformers folder; empty means the packaged all-MiniLM-L6-v2"},
    )
    batch_size: int = field(default=64, metadata={"min": 1, "help": "texts per encode batch"})
    window_tokens: int = field(default=256, metadata={"min": 16, "help": "tokens per embedded window"})
    window_overlap: int = field(default=32, metadata={"min": 0, "help": "tokens shared by consecutive windows"})
    quantize: str = field(
        default="int8",
        metadata={"help": "inference precision: int8 (ONNX Runtime, fast), bf16 or fp32 (sentence-transformers)"},
    )
    threads: int = field(default=0, metadata={"help": "torch threads; 0 means all cores"})
    with_subject: bool = field(
        default=True,
        metadata={
            "help": "prepend the document's SUBJECT/title to each embedded paragraph (cable dev set, 500-cable"
            " index: recall@1 0.628 -> 0.665, recall@5 0.963 -> 0.968, MRR@10 0.818 -> 0.839)"
        },
    )
    cache_dir: Path = field(
        default=Path.home() / ".cache" / "cableqa" / "embed",
        metadata={"help": "where the int8 ONNX form of the embedding model is built once"},
    )


@dataclass
class SearchSettings:
    k: int = field(default=10, metadata={"min": 1, "max": 1000, "help": "results returned"})
    dense_weight: float = field(default=1.0, metadata={"help": "weight of the dense ranking in RRF"})
    lexical_weight: float = field(
        default=1.5, metadata={"help": "weight of the BM25 ranking in RRF (1.5 beat 1.0 on squad2-dev recall@1/5)"}
    )
    rrf_k: int = field(default=60, metadata={"help": "reciprocal-rank-fusion constant"})
    candidates: int = field(default=100, metadata={"min": 1, "help": "candidates taken from each ranker"})
    lexical_max_share: float = field(
        default=0.1,
        metadata={"min": 0.0, "max": 1.0,
                  "help": "BM25 leaves out query terms found in more than this share of the paragraphs (the "
                          "rarest term is always kept): faster, as such terms make it score most of the corpus; "
                          "1 keeps every term (0.1, chosen on the dev set, kept recall@5 and MRR@10 within 0.01 on "
                          "the held-out test set)"},
    )
    period_weight: float = field(
        default=0.5,
        metadata={"help": "weight in RRF of cables dated in the period the query names (in 2007, November 2009); "
                          "0 turns it off (0.5, chosen on the dev set, raised recall@5 on the held-out test set too)"},
    )
    origin_weight: float = field(
        default=0.0,
        metadata={"help": "weight in RRF of cables from the origin the query names (the embassy in Madrid); "
                          "0 turns it off"},
    )
    tag_weight: float = field(
        default=0.0,
        metadata={"help": "weight in RRF of documents tagged with what the query names in words (human rights "
                          "-> PHUM); 0 turns it off (bench/retrieval_tags.py measures it)"},
    )


@dataclass
class LLMSettings:
    model: str | None = field(
        default=None,
        metadata={"help": "path of a local GGUF file (empty: the packaged Qwen2.5-Coder-1.5B); with backend "
                          "openai, the server's model name"},
    )
    backend: str = field(
        default="llama_cpp",
        metadata={"help": "llama_cpp (the GGUF in this process) or openai (an OpenAI-compatible server at base_url)"},
    )
    base_url: str | None = field(
        default=None, metadata={"help": "with backend openai: the server's API root, e.g. http://gpu-box:8080/v1"},
    )
    api_key: str | None = field(default=None, metadata={"help": "with backend openai: its key ($QA_LLM_API_KEY)"})
    n_ctx: int = field(default=4096, metadata={"help": "context window in tokens"})
    threads: int = field(
        default=0, metadata={"help": "llama.cpp threads; 0: the cores other programs leave free, before each answer"})
    # off: on an AVX2-only EPYC, answers took 18.4 s p50 with it and 15.3 s without (generation 0.84x);
    # only AVX2 kernels emulated on an AVX-512 CPU had gained from it (bench/results/answer_avx2_*.json)
    flash_attn: str = field(
        default="off",
        metadata={"help": "llama.cpp's flash attention: on, off, or auto (on where llama.cpp has no AVX-512 "
                          "kernels); off by default: it made answers slower on AVX-512 and on an AVX2-only CPU"},
    )
    # auto: off where llama.cpp was built with AMX kernels, which crash on the packaged Q4_K_M model
    # (llama.cpp issue #20824; every question on an AMX_INT8 Xeon here), and where it has AVX-512
    # kernels, which run prompts faster on the plain layout; see qa.answer.llm.loader
    repack: str = field(
        default="auto",
        metadata={"help": "llama.cpp's repacked weight buffers (AMX, interleaved layouts): on, off, or auto "
                          "(on only where llama.cpp was built with neither AMX nor AVX-512 kernels)"},
    )
    max_tokens: int = field(default=256, metadata={"help": "most tokens generated per answer"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature (0: greedy)"})
    cache_dir: Path = field(
        default=Path.home() / ".cache" / "cableqa",
        metadata={"help": "where the packaged model is assembled once"},
    )


@dataclass
class AnswerSettings:
    k: int = field(default=5, metadata={"min": 1, "max": 50, "help": "passages shown to the model"})
    count_questions: bool = field(
        default=True,
        metadata={"help": "answer 'how many cables ...' questions from counts over the whole index"},
    )
    prompt: str = field(default="answer", metadata={"help": "prompt template name (files <name>.*.txt)"})
    max_question_chars: int = field(
        default=1000, metadata={"min": 1, "help": "longest question accepted (a long one holds the model for minutes)"}
    )
    prompts_dir: Path | None = field(
        default=None, metadata={"help": "a folder of your own prompt files; empty means the packaged qa/prompts"}
    )
    min_support: float = field(
        default=0.45, metadata={"help": "cosine similarity a sentence needs to its cited paragraphs"}
    )
    min_evidence: float = field(
        default=0.30,
        metadata={"help": "abstain without asking the model when no passage is this close (cosine)"},
    )
    passage_drop: float = field(
        default=0.35,
        metadata={"help": "passages this much less close to the question than the best one are not shown"},
    )
    context_words: int = field(
        default=160, metadata={"help": "words of passage text shown to the model (prompt speed on CPU)"}
    )
    min_relevance: float = field(
        default=0.20, metadata={"help": "cosine an answer sentence needs to the question (off-topic guard)"}
    )
    check: bool = field(
        default=True,
        metadata={"help": "ask the model separately whether the cited text answers the question at all"},
    )
    min_check_prob: float = field(
        default=0.7, metadata={"help": "abstain when that check gives 'Yes' less probability than this"}
    )
    extract: bool = field(
        default=True,
        metadata={"help": "when the model's answer is rejected, quote the most relevant sentence if the check "
                          "model is confident it answers the question"},
    )
    min_extract_prob: float = field(
        default=0.9, metadata={"help": "'Yes' probability the check needs before a sentence is quoted"}
    )
    # off: on the held-out cable replay the probe was less precise than P(Yes) (bench/results/replay_cables_test_*.json)
    check_probe: str = field(
        default="off",
        metadata={"help": "what the check reads: 'off' (the model's P(Yes)), 'packaged' (a linear probe of the "
                          "check model's hidden state, qa/data/check_probe.npz) or a path to probe weights of "
                          "your own (train/probe.py fit); with a probe, min_check_probe and min_extract_probe "
                          "are its thresholds"},
    )
    # chosen on the cable dev replay (bench/results/replay_cables_dev_probe.json)
    min_check_probe: float = field(
        default=0.6, metadata={"help": "with a probe: abstain when it gives the cited text less than this"}
    )
    min_extract_probe: float = field(
        default=0.55, metadata={"help": "with a probe: what it must give a sentence before it is quoted"}
    )
    guard: bool = field(
        default=True,
        metadata={"help": "also ask the model whether a retrieved document that is not a cable (a text file, an "
                          "upload) gives instructions to an AI assistant; such a document is never used"},
    )
    min_guard_prob: float = field(
        default=0.6,
        metadata={"help": "withhold a document when that guard check gives 'Yes' at least this probability (the "
                          "lowest with no false alarm on 100 tuning SQuAD passages; bench/injection_guard.py)"},
    )
    reattribute: bool = field(
        default=True,
        metadata={"help": "also cite other shown passages that support a sentence (each one checked)"},
    )
    require_question_terms: bool = field(
        default=True,
        metadata={"help": "abstain when the cited paragraphs never mention the question's numbers or names"},
    )
    verifier: str = field(
        default="off",
        metadata={"help": "how answers are checked: 'packaged' (the learned verifier, qa/data/verifier.json), "
                          "a path to verifier weights of your own, 'off' (the hand-made rules) or 'collect' "
                          "(record the verifier's signals for training, accept every cited sentence)"},
    )
    min_support_score: float | None = field(
        default=None,
        metadata={"help": "verifier probability a paragraph needs to back a sentence; empty: the weights "
                          "file's own (chosen on the tuning split)"},
    )
    min_answer_score: float | None = field(
        default=None,
        metadata={"help": "verifier probability an answer needs to be given; empty: the weights file's own"},
    )
    common_term_share: float = field(
        default=0.5,
        metadata={"help": "a question's name found in at least this share of indexed documents is context "
                          "('US' among US cables), not required in the cited document"},
    )


@dataclass
class ServeSettings:
    host: str = field(default="127.0.0.1", metadata={"help": "address the app binds to"})
    port: int = field(default=7860, metadata={"min": 1, "max": 65535, "help": "port the app listens on"})
    auth: str | None = field(
        default=None, metadata={"help": "user:pass; required when binding to a non-loopback address"}
    )
    max_upload_mb: float = field(default=20.0, metadata={"help": "largest accepted upload"})
    prefill: bool = field(
        default=True, metadata={"help": "evaluate a question's passages while it is typed, so the answer starts "
                                        "sooner once it is sent (qa.ui.type_ahead)"},
    )
    allowed_hosts: str = field(
        default="",
        metadata={"help": "comma-separated host names the app also answers to besides loopback and the bound "
                          "address (a LAN name, a reverse proxy's); '*' accepts any. Others are refused "
                          "(DNS rebinding)"},
    )


@dataclass
class ApiSettings:
    host: str = field(default="127.0.0.1", metadata={"help": "address `qa api` binds to"})
    port: int = field(default=8000, metadata={"min": 1, "max": 65535, "help": "port `qa api` listens on"})
    key: str | None = field(
        default=None,
        metadata={"help": "API key every request must send (Authorization: Bearer KEY); required beyond loopback"},
    )


@dataclass
class Settings:
    index: IndexSettings = field(default_factory=IndexSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    api: ApiSettings = field(default_factory=ApiSettings)


ENV_ALIASES = {
    "QA_INDEX_DIR": ("index", "dir"),
    "QA_LLM_MODEL": ("llm", "model"),
    "QA_EMBED_MODEL": ("embed", "model"),
    "QA_CACHE_DIR": ("llm", "cache_dir"),
    "QA_HOST": ("serve", "host"),
    "QA_PORT": ("serve", "port"),
    "QA_AUTH": ("serve", "auth"),
    "QA_API_KEY": ("api", "key"),
    "QA_LLM_API_KEY": ("llm", "api_key"),
}


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """Turn a config or environment value into the field's type, or say which key is wrong."""
    hint = annotation
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0]
    if optional and (value is None or value == ""):
        return None
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if hint is Path:
            return Path(str(value)).expanduser()
        return hint(value)
    except (TypeError, ValueError) as exc:
        raise QAError(f"setting {where}: {value!r} is not a valid {getattr(hint, '__name__', hint)}") from exc


def _set(settings: Settings, section: str, key: str, value: Any, where: str) -> None:
    sect = getattr(settings, section, None)
    if sect is None or not dataclasses.is_dataclass(sect):
        known = ", ".join(f.name for f in dataclasses.fields(Settings))
        raise QAError(f"{where}: unknown settings section {section!r} (known: {known})")
    hints = typing.get_type_hints(type(sect))
    if key not in hints:
        known = ", ".join(f.name for f in dataclasses.fields(sect))
        raise QAError(f"{where}: unknown setting {section}.{key} (known: {known})")
    converted = _convert(value, hints[key], f"{section}.{key} ({where})")
    meta = next(f.metadata for f in dataclasses.fields(sect) if f.name == key)
    low, high = meta.get("min"), meta.get("max")
    if converted is not None and ((low is not None and converted < low) or (high is not None and converted > high)):
        bounds = f"at least {low}" if high is None else f"from {low} to {high}"
        raise QAError(f"setting {section}.{key} ({where}): {value!r} is out of range; it must be {bounds}")
    setattr(sect, key, converted)


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings: defaults, then ``config`` (TOML), then ``QA_*`` variables, then ``overrides``.

    ``overrides`` maps ``"section.field"`` to a value (flags the CLI was given); ``None`` values are
    skipped so unset flags do not clobber lower layers.
    """
    settings = Settings()
    if config is not None:
        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise QAError(f"config file {config} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise QAError(f"config file {config} is not valid TOML: {exc}") from exc
        for section, values in data.items():
            if not isinstance(values, dict):
                raise QAError(f"{config}: top-level key {section!r} must be a [section] table")
            for key, value in values.items():
                _set(settings, section, key, value, str(config))
    for name, value in (env or {}).items():
        if not name.startswith("QA_"):
            continue
        if name in ENV_ALIASES:
            _set(settings, *ENV_ALIASES[name], value, f"${name}")
        elif "__" in name:
            section, key = name[3:].lower().split("__", 1)
            _set(settings, section, key, value, f"${name}")
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        _set(settings, section, key, value, f"flag for {dotted}")
    return settings


def describe(settings: Settings) -> dict[str, dict[str, Any]]:
    """The settings as plain data (for ``--json`` output and manifests)."""
    out: dict[str, dict[str, Any]] = {}
    for f in dataclasses.fields(settings):
        sect = getattr(settings, f.name)
        out[f.name] = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(sect).items()}
    return out
