"""The int8 form of a sentence-transformers model: exported to ONNX and quantized once, then cached.

Plain fp32 inference of all-MiniLM-L6-v2 runs near this kind of CPU's fp32 peak; int8 matrix products
(AVX-512 VNNI) in ONNX Runtime are what make indexing a large corpus fit in minutes (``bench/embed.py``
measures the speed-up and the recall cost). The recipe, chosen by measurement:

- export with eager attention (plain MatMul/Softmax, which trace to a graph valid for any batch and
  length), opset 17, dynamic batch and sequence axes;
- for a BERT-type encoder (all-MiniLM-L6-v2 is one), fuse each layer's attention, the embeddings'
  layer norm and the GELUs into ONNX Runtime's fused operators (``onnxruntime.transformers.optimizer``):
  on an AVX2-only EPYC this ran 1.16x the unfused int8 graph on the same cable windows, vectors within
  cosine 0.995 of it (``bench/embed.py``); a model the optimizer cannot fuse keeps the plain graph;
- but never the residual layer norms into ``SkipLayerNormalization`` (neither here nor when a session
  loads the graph, ``SLOW_FUSIONS``): ONNX Runtime 1.31's CPU kernel for it ran 5-6x slower than the
  Add + LayerNormalization it replaces (0.27 against 0.045 ms for 157 tokens x 384, one thread on an
  AMX Xeon) and took 28% of the int8 encoder's time; without it the encoder ran 1.4x as fast;
- quantize dynamically the weight products (MatMuls with a weight operand, and the fused attention's
  input projection), weights per output channel; the attention products (activation x activation)
  stay fp32, and so do the embeddings (quantizing the attention products as well, on the graph
  without the attention fusion, ran 0.83-0.90x recipe v3, one thread, AVX-512 Xeon);
- and give the fused attention no mask (``drop_attention_masks``): the embedder runs every text alone
  and unpadded (``qa.embed.onnx_runtime``), so the mask is all ones, and without it the operator neither
  builds a sequence x sequence mask nor adds it to every head's scores: 1.05x recipe v3 in two runs of
  ``bench/embed.py`` (two workers, 8 interleaved rounds; Intel Xeon without AMX), 1.02x with AVX2
  kernels, the same vectors. A graph without the mask must never be fed a padded batch.

The cache file name carries a hash of the model's files and of this recipe, so a changed model or
recipe never reuses a stale file. Files are written under a temporary name and renamed into place, so
a killed build or two concurrent builds never leave a half-written model behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

from qa.errors import QAError

log = logging.getLogger(__name__)

# Change RECIPE whenever export or quantization changes.
RECIPE = "onnx17-eager-fused-noskipln-int8-matmul-attention-perchannel-nomask-v4"
_SKIP_DIRS = {"onnx", "openvino", ".git", "__pycache__"}
# ONNX Runtime graph fusions that every session of the int8 model turns off (see the module docstring).
SLOW_FUSIONS = ("SkipLayerNormFusion",)


def fingerprint(model_dir: Path) -> str:
    """A hash of the files that define the model (weights, configs, tokenizer), names included."""
    digest = hashlib.sha256(RECIPE.encode())
    for path in sorted(model_dir.rglob("*")):
        rel = path.relative_to(model_dir)
        if not path.is_file() or _SKIP_DIRS.intersection(rel.parts) or path.suffix.lower() == ".md":
            continue
        digest.update(str(rel.as_posix()).encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def int8_model(model_dir: Path, transformer_dir: Path, cache_dir: Path, label: str = "") -> Path:
    """Path of the cached int8 ONNX model for ``model_dir``, building it first if needed (seconds, once).

    ``label`` (the model's name) only makes the file name readable; the hash makes it unique.
    """
    try:
        import onnxruntime

        version = onnxruntime.__version__
    except ImportError as exc:
        raise QAError(
            "embed.quantize=int8 needs onnxruntime: pip install onnxruntime==1.31.1 onnx==1.23.2, "
            "or set QA_EMBED__QUANTIZE=fp32",
            exit_code=4,
        ) from exc
    key = hashlib.sha256(f"{fingerprint(model_dir)}|{version}".encode()).hexdigest()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label or model_dir.name) or "model"
    target = cache_dir / f"{slug}-{key[:16]}-int8.onnx"
    if target.is_file():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QAError(f"cannot create the embedding cache folder {cache_dir} ({exc}); set embed.cache_dir") from exc
    log.info("building the int8 ONNX form of %s in %s (once)", model_dir, cache_dir)
    try:
        build_int8(transformer_dir, target)
    except ImportError as exc:
        raise QAError(f"building the int8 embedding model needs {exc.name or exc}: pip install onnx==1.23.2, "
                      "or set QA_EMBED__QUANTIZE=fp32", exit_code=4) from exc
    except Exception as exc:  # noqa: BLE001 - an architecture the exporter cannot handle
        raise QAError(f"cannot convert {model_dir} to int8 ONNX ({type(exc).__name__}: {exc}); "
                      "set QA_EMBED__QUANTIZE=fp32 for this model", exit_code=4) from exc
    return target


def build_int8(transformer_dir: Path, target: Path, *, skip_layer_norm: bool = False,
               attention_mask: bool = False) -> None:
    """Export, fuse and quantize the encoder in a temporary folder beside ``target``, then rename the
    result into place. ``bench/embed.py`` compares with earlier recipes: ``attention_mask`` keeps the
    fused attention's mask (recipe v3), ``skip_layer_norm`` also fuses the residual layer norms (v2)."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        export_onnx(transformer_dir, fp32)
        fused = fuse_encoder(fp32, transformer_dir, Path(tmp) / "fused.onnx", skip_layer_norm=skip_layer_norm)
        quantize_int8(fused, int8)
        if not attention_mask:
            drop_attention_masks(int8)
        os.replace(int8, target)


def export_onnx(transformer_dir: Path, out: Path) -> None:
    """Export the Hugging Face encoder in ``transformer_dir`` to ONNX (output: last_hidden_state).

    Its inputs are those of ``input_ids``, ``attention_mask`` and ``token_type_ids`` that both the
    tokenizer produces and the model accepts; the runtime feeds what the graph asks for.
    """
    import inspect

    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    model = AutoModel.from_pretrained(str(transformer_dir), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(transformer_dir))
    sample = tokenizer(["a short text", "a somewhat longer text, so that the batch is padded"],
                       padding=True, return_tensors="pt")
    accepted = inspect.signature(model.forward).parameters
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample and n in accepted]

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(input_names, inputs, strict=True))).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in [*input_names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        # The legacy (TorchScript) exporter needs no extra packages; its tracer warnings concern
        # Python-side shape checks that eager attention does not depend on (tests compare with fp32).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(), tuple(sample[name] for name in input_names), str(out),
            input_names=input_names, output_names=["last_hidden_state"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )


def fuse_encoder(fp32: Path, transformer_dir: Path, out: Path, *, skip_layer_norm: bool = False) -> Path:
    """``out``, the graph with ONNX Runtime's fused BERT operators, for a BERT-type encoder whose
    attention the optimizer fuses in every layer; otherwise ``fp32`` itself (the plain graph). The
    residual layer norms stay Add + LayerNormalization unless ``skip_layer_norm``."""
    import json

    try:
        config = json.loads((transformer_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fp32
    layers = config.get("num_hidden_layers")
    if config.get("model_type") != "bert" or not layers:
        return fp32
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = skip_layer_norm
    try:
        model = optimize_model(str(fp32), model_type="bert", num_heads=int(config["num_attention_heads"]),
                               hidden_size=int(config["hidden_size"]), opt_level=1,
                               optimization_options=options)
    except Exception as exc:  # noqa: BLE001 - the plain graph still works
        log.info("keeping the unfused graph: the optimizer failed (%s: %s)", type(exc).__name__, exc)
        return fp32
    fused = model.get_fused_operator_statistics().get("Attention", 0)
    if fused != layers:  # a partial fusion is a graph nobody measured
        log.info("keeping the unfused graph: %d of %d attention layers fused", fused, layers)
        return fp32
    model.save_model_to_file(str(out))
    return out


def quantize_int8(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantization of the weight products, per channel; activation MatMuls stay fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    activation_products = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] not in weights]
    root = logging.getLogger()
    root.addFilter(_drop_quantizer_chatter)
    try:
        quantize_dynamic(
            str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=activation_products,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.removeFilter(_drop_quantizer_chatter)


# Where ONNX Runtime's fused attention operators take their mask (mask_index).
_MASK_INPUT = {"Attention": 3, "QAttention": 5}


def drop_attention_masks(path: Path) -> int:
    """Rewrite ``path`` with the fused attention operators' mask inputs left empty; returns how many.

    Only for a graph that is run one unpadded text at a time, whose mask is all ones."""
    import onnx

    model = onnx.load(str(path))
    dropped = 0
    for node in model.graph.node:
        index = _MASK_INPUT.get(node.op_type)
        if node.domain == "com.microsoft" and index is not None and len(node.input) > index and node.input[index]:
            node.input[index] = ""
            dropped += 1
    if dropped:
        onnx.save(model, str(path))
    return dropped


def _drop_quantizer_chatter(record: logging.LogRecord) -> bool:
    """The quantizer logs advice meant for CNNs and one line per skipped tensor on the root logger."""
    return "/onnxruntime/quantization/" not in Path(record.pathname).as_posix()
