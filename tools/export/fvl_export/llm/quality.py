"""The measured quality change of a weight variant: its graphs against transformers' fp32 language model on one
fixed probe. The reference runs one decoder layer at a time from the checkpoint's weights, so an 8B model never
sits in memory whole (in fp32 it would not fit a 24 GB machine beside the variant being measured)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from .spec import LanguageModelSpec, text_config

# A prompt of random tokens, then decode steps that feed the next probe tokens one at a time (the variant through
# its key/value cache, as the engine decodes); both models read the same tokens.
PROBE_PROMPT = 48
PROBE_STEPS = 16
# ONNX Runtime's CPU provider widens fp16 weights to fp32 copies when it loads them (it has no fp16 matrix product
# on x86); a variant whose widened weights exceed this is not run here and says so.
PROBE_MAX_CPU_BYTES = 6 * 1024**3


def probe_tokens(spec: LanguageModelSpec) -> np.ndarray:
    return np.random.default_rng(0).integers(0, spec.vocab_size, size=PROBE_PROMPT + PROBE_STEPS, dtype=np.int64)


def reference_outputs(config: dict, weights: Mapping, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """transformers' fp32 logits and last hidden states [T, vocab], [T, H] of `tokens`, causal, at every position;
    the decoder layers (Phi3DecoderLayer / LlamaDecoderLayer) are built and run one at a time."""
    cfg = text_config(config)
    cfg._attn_implementation = "eager"
    if config["model_type"] == "llava_phi":
        from transformers.models.phi3.modeling_phi3 import Phi3DecoderLayer as Layer
        from transformers.models.phi3.modeling_phi3 import Phi3RMSNorm as Norm
        from transformers.models.phi3.modeling_phi3 import Phi3RotaryEmbedding as Rotary
    else:
        from transformers.models.llama.modeling_llama import LlamaDecoderLayer as Layer
        from transformers.models.llama.modeling_llama import LlamaRMSNorm as Norm
        from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding as Rotary

    def tensors(prefix: str) -> dict[str, torch.Tensor]:
        return {name[len(prefix):]: weights[name].float() for name in weights if name.startswith(prefix)}

    with torch.no_grad():
        ids = torch.from_numpy(tokens)[None]
        hidden = torch.nn.functional.embedding(ids, weights["model.embed_tokens.weight"].float())
        positions = torch.arange(ids.shape[1])[None]
        rotary = Rotary(cfg)
        position_embeddings = rotary(hidden, positions)
        length = ids.shape[1]
        mask = torch.full((length, length), torch.finfo(torch.float32).min).triu(1)[None, None]
        for i in range(cfg.num_hidden_layers):
            with torch.device("meta"):
                layer = Layer(cfg, i)
            layer.load_state_dict(tensors(f"model.layers.{i}."), strict=True, assign=True)
            hidden = layer.eval()(hidden, attention_mask=mask, position_ids=positions,
                                  position_embeddings=position_embeddings)
            del layer
        norm = Norm(cfg.hidden_size, eps=cfg.rms_norm_eps)
        norm.load_state_dict(tensors("model.norm."), strict=True)
        hidden = norm(hidden)[0]
        head = weights["model.embed_tokens.weight" if cfg.tie_word_embeddings else "lm_head.weight"].float()
        logits = hidden[PROBE_PROMPT - 1:] @ head.T
    return logits.numpy(), hidden[PROBE_PROMPT - 1:].numpy()


def cpu_bytes(variant: str, weight_bytes: int) -> int:
    return weight_bytes * 2 if variant == "fp16" else weight_bytes


def variant_outputs(out_dir: Path, entry: dict, spec: LanguageModelSpec, tokens: np.ndarray,
                    threads: int) -> tuple[np.ndarray, np.ndarray]:
    """The variant's logits and last hidden states at the probe's last PROBE_STEPS + 1 positions, decoded with its
    key/value cache: the prompt in one call, then one token per call."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    embed = ort.InferenceSession(str(out_dir / entry["embed"]), options)
    decoder = ort.InferenceSession(str(out_dir / entry["decoder"]), options)
    names = [o.name for o in decoder.get_outputs()]
    cache = {f"past_key_values.{i}.{kind}": np.zeros((1, spec.kv_heads, 0, spec.head_dim), np.float32)
             for i in range(spec.layers) for kind in ("key", "value")}
    logits, hidden = [], []
    chunks = [tokens[:PROBE_PROMPT], *(tokens[k:k + 1] for k in range(PROBE_PROMPT, len(tokens)))]
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        embeds = embed.run(None, {"input_ids": chunk[None]})[0]
        result = dict(zip(names, decoder.run(None, {"inputs_embeds": embeds,
                                                    "attention_mask": np.ones((1, seen), np.int64), **cache}),
                          strict=True))
        for name in cache:
            cache[name] = result[name.replace("past_key_values.", "present.")]
        logits.append(result["logits"][0, -1])
        hidden.append(result["last_hidden_state"][0, -1])
    return np.stack(logits), np.stack(hidden)


def measure_quality(out_dir: Path, variant: str, entry: dict, spec: LanguageModelSpec,
                    reference: tuple[np.ndarray, np.ndarray], threads: int = 2) -> dict:
    """The variant against the fp32 reference on the probe: logit error relative to the reference logits'
    spread, largest hidden-state difference, and how often both put the same token first."""
    probe = (f"{PROBE_PROMPT} random prompt tokens + {PROBE_STEPS} decode steps on the key/value cache, against "
             "transformers' fp32 model")
    needed = cpu_bytes(variant, entry["weight_bytes"])
    if needed > PROBE_MAX_CPU_BYTES:
        return {"probe": probe, "not_measured": (
            f"ONNX Runtime's CPU provider would widen the {variant} weights to {needed / 1024**3:.1f} GB of fp32 "
            f"(over the probe's {PROBE_MAX_CPU_BYTES / 1024**3:.0f} GB); measure it on a GPU")}
    ref_logits, ref_hidden = reference
    var_logits, var_hidden = variant_outputs(out_dir, entry, spec, probe_tokens(spec), threads)
    return {
        "probe": probe,
        "max_abs_logit_diff": float(np.abs(ref_logits - var_logits).max()),
        "relative_logit_rmse": float(np.sqrt(((ref_logits - var_logits) ** 2).mean()) / ref_logits.std()),
        "max_abs_hidden_diff": float(np.abs(ref_hidden - var_hidden).max()),
        "top1_agreement": float(np.mean(ref_logits.argmax(axis=1) == var_logits.argmax(axis=1))),
    }
