"""export_language_model: the language model's graphs, variants, tokenizer and fvl.json fragments (see __init__)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import MissingProcessorFilesError, MissingWeightsError
from .chat import chat_fragments
from .graph import build_decoder, build_embed_tokens
from .quality import measure_quality, probe_tokens, reference_outputs
from .spec import read_spec, text_config
from .weights import INLINE_LIMIT_BYTES

VARIANTS = ("fp16", "int8", "int4")
# Quantized variants keep the main graphs' embedding table (a lookup, not a matrix product).
QUANTIZED = ("int8", "int4")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
DECODER = "onnx/llm_decoder.onnx"
EMBED = "onnx/llm_embed_tokens.onnx"
# Florence-2's 576 grid tokens plus the pooled one, each projected to one LLM position.
VISUAL_TOKENS = 577


def export_language_model(
    checkpoint_dir: Path,
    out_dir: Path,
    dtype: str,
    weights: Mapping,
    config: dict,
    variants: tuple[str, ...] = VARIANTS,
    with_attention: bool = True,
    external_data_bytes: int = INLINE_LIMIT_BYTES,
) -> dict:
    """Writes the LLM graphs into out_dir and returns the fvl.json fragments (interface in __init__.py)."""
    from transformers import AutoTokenizer

    spec = read_spec(config)
    for name in TOKENIZER_FILES:
        if not (checkpoint_dir / name).is_file():
            raise MissingProcessorFilesError(
                f"{checkpoint_dir}: {name} is missing; the language model needs the checkpoint's own tokenizer "
                "(download the whole checkpoint folder)")
    onnx_dir = out_dir / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)

    def get(name: str) -> np.ndarray:
        if name not in weights:
            raise MissingWeightsError(
                f"{checkpoint_dir.name}: the language-model weight {name} is not in the checkpoint; the weight "
                "files are incomplete or belong to another model")
        return weights[name].float().numpy()

    started = time.time()
    graphs: dict[str, dict] = {}
    for variant in (dtype, *(v for v in variants if v != dtype)):
        decoder = graph_name(DECODER, variant)
        embed = graph_name(EMBED, dtype if variant in QUANTIZED else variant)
        embed_bytes = 0 if variant in QUANTIZED else build_embed_tokens(spec, get, out_dir / embed, variant,
                                                                         external_data_bytes)
        decoder_bytes = build_decoder(spec, get, out_dir / decoder, variant, with_attention, external_data_bytes)
        graphs[variant] = {"decoder": decoder, "embed": embed, "weight_bytes": decoder_bytes + embed_bytes}
    seconds = time.time() - started
    for entry in graphs.values():
        entry["file_bytes"] = sum(path.stat().st_size for key in ("decoder", "embed")
                                  for path in _with_external_data(out_dir / entry[key]))
    started = time.time()
    measured = [variant for variant in graphs if variant != "fp32"]
    if measured:
        reference = reference_outputs(config, weights, probe_tokens(spec))
        for variant in measured:
            graphs[variant]["quality_vs_fp32"] = measure_quality(out_dir, variant, graphs[variant], spec, reference)
    quality_seconds = time.time() - started

    for name in TOKENIZER_FILES:
        shutil.copyfile(checkpoint_dir / name, out_dir / f"llm_{name}")
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint_dir), config=text_config(config))
    generation_path = checkpoint_dir / "generation_config.json"
    generation = json.loads(generation_path.read_text()) if generation_path.is_file() else {}
    eos = generation.get("eos_token_id", config.get("eos_token_id"))
    stop_ids = [eos] if isinstance(eos, int) else list(eos or [])
    template, chat = chat_fragments(config, tokenizer, stop_ids, VISUAL_TOKENS)

    attention = {
        "names": [f"attentions.{i}" for i in range(spec.layers)],
        "shape": "[B, heads, 1, P+T]",
        "kind": "self-attention probabilities of the last query position (visual tokens at their prompt positions)",
    }
    files = [
        path.relative_to(out_dir).as_posix()
        for entry in graphs.values()
        for key in ("decoder", "embed")
        for path in _with_external_data(out_dir / entry[key])
    ]
    return {
        "llm": {
            "embed": graphs[dtype]["embed"],
            "decoder": graphs[dtype]["decoder"],
            "tokenizer": "llm_tokenizer.json",
            "tokenizer_config": "llm_tokenizer_config.json",
            "architecture": spec.architecture,
            "source_model_type": config["model_type"],
            "dtype": dtype,
            "hidden": spec.hidden,
            "layers": spec.layers,
            "heads": spec.heads,
            "kv_heads": spec.kv_heads,
            "head_dim": spec.head_dim,
            "intermediate": spec.intermediate,
            "vocab_size": spec.vocab_size,
            "max_positions": spec.max_positions,
            "rope": {"type": spec.rope_type, "rotary_dim": spec.rotary_dim,
                     "original_max_positions": spec.original_max_positions},
            "positions": "past_length + arange(T)",
            "logits": "last position only [B, 1, vocab]",
            "last_hidden_state": "after the final RMSNorm (input of lm_head)",
            "outputs": ["logits", "last_hidden_state", "present.{i}.key", "present.{i}.value"]
            + (["attentions.{i}"] if with_attention else []),
            "variants": graphs,
            "export_seconds": round(seconds, 2),
            "quality_probe_seconds": round(quality_seconds, 2),
        },
        "chat_template": template,
        "chat": chat,
        "attention_outputs": {entry["decoder"]: attention for entry in graphs.values()} if with_attention else {},
        "files": sorted(set(files)) + ["llm_tokenizer.json", "llm_tokenizer_config.json"],
    }


def graph_name(base: str, variant: str) -> str:
    """onnx-community's dtype suffixes: onnx/llm_decoder.onnx (fp32), onnx/llm_decoder_fp16.onnx, ..._int8.onnx."""
    return base if variant == "fp32" else base.replace(".onnx", f"_{variant}.onnx")


def _with_external_data(graph: Path) -> list[Path]:
    data = graph.with_name(graph.name + "_data")
    return [graph, data] if data.is_file() else [graph]
