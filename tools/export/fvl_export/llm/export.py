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
from .spec import read_spec, text_config
from .weights import INLINE_LIMIT_BYTES

VARIANTS = ("fp16", "int8")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
DECODER = "onnx/llm_decoder.onnx"
EMBED = "onnx/llm_embed_tokens.onnx"
# Florence-2's 576 grid tokens plus the pooled one, each projected to one LLM position.
VISUAL_TOKENS = 577
# The quality probe: decode steps after a prompt of random tokens, teacher-forced on the fp32 graph's argmax.
PROBE_PROMPT = 48
PROBE_STEPS = 16


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
        # 8-bit weights are for the matrix products; the table lookup keeps the main graphs' embeddings.
        embed = graph_name(EMBED, dtype if variant == "int8" else variant)
        embed_bytes = 0 if variant == "int8" else build_embed_tokens(spec, get, out_dir / embed, variant,
                                                                      external_data_bytes)
        decoder_bytes = build_decoder(spec, get, out_dir / decoder, variant, with_attention, external_data_bytes)
        graphs[variant] = {"decoder": decoder, "embed": embed, "weight_bytes": decoder_bytes + embed_bytes}
    seconds = time.time() - started
    for entry in graphs.values():
        entry["file_bytes"] = sum(path.stat().st_size for key in ("decoder", "embed")
                                  for path in _with_external_data(out_dir / entry[key]))
    if dtype == "fp32":
        for variant, entry in graphs.items():
            if variant != "fp32":
                entry["quality_vs_fp32"] = measure_quality(out_dir, graphs["fp32"], entry, spec)

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


def measure_quality(out_dir: Path, reference: dict, variant: dict, spec) -> dict:
    """The variant against the fp32 graphs on one probe: a random-token prompt, then PROBE_STEPS decode steps fed
    the fp32 graph's argmax (so both see the same tokens). Logit error relative to the fp32 logits' spread."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2

    def sessions(entry):
        return (ort.InferenceSession(str(out_dir / entry["embed"]), options),
                ort.InferenceSession(str(out_dir / entry["decoder"]), options))

    rng = np.random.default_rng(0)
    prompt = rng.integers(0, spec.vocab_size, size=(1, PROBE_PROMPT), dtype=np.int64)
    runs = []
    for entry in (reference, variant):
        embed, decoder = sessions(entry)
        cache = {f"past_key_values.{i}.{kind}": np.zeros((1, spec.kv_heads, 0, spec.head_dim), np.float32)
                 for i in range(spec.layers) for kind in ("key", "value")}
        runs.append((embed, decoder, cache))
    tokens = prompt
    logits_pairs, hidden_pairs, agree = [], [], 0
    for _ in range(PROBE_STEPS + 1):
        outs = []
        for embed, decoder, cache in runs:
            embeds = embed.run(None, {"input_ids": tokens})[0]
            past = cache["past_key_values.0.key"].shape[2]
            feeds = {"inputs_embeds": embeds, "attention_mask": np.ones((1, past + tokens.shape[1]), np.int64),
                     **cache}
            names = [o.name for o in decoder.get_outputs()]
            result = dict(zip(names, decoder.run(None, feeds), strict=True))
            for name in list(cache):
                cache[name] = result[name.replace("past_key_values.", "present.")]
            outs.append(result)
        ref, var = outs
        logits_pairs.append((ref["logits"][0, -1], var["logits"][0, -1]))
        hidden_pairs.append((ref["last_hidden_state"][0, -1], var["last_hidden_state"][0, -1]))
        agree += int(np.argmax(ref["logits"][0, -1]) == np.argmax(var["logits"][0, -1]))
        tokens = np.array([[int(np.argmax(ref["logits"][0, -1]))]], np.int64)
    ref_logits = np.stack([a for a, _ in logits_pairs])
    var_logits = np.stack([b for _, b in logits_pairs])
    ref_hidden = np.stack([a for a, _ in hidden_pairs])
    var_hidden = np.stack([b for _, b in hidden_pairs])
    return {
        "probe": f"{PROBE_PROMPT} random prompt tokens + {PROBE_STEPS} decode steps (fp32 argmax fed to both)",
        "max_abs_logit_diff": float(np.abs(ref_logits - var_logits).max()),
        "relative_logit_rmse": float(np.sqrt(((ref_logits - var_logits) ** 2).mean()) / ref_logits.std()),
        "max_abs_hidden_diff": float(np.abs(ref_hidden - var_hidden).max()),
        "top1_agreement": agree / (PROBE_STEPS + 1),
    }
