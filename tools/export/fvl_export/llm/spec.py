"""The language model's architecture read from a Florence-VL checkpoint's config.json (llava_phi / llava_llama)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnknownFormatError

# Florence-VL registers its own model types on top of the transformers configs it subclasses
# (LlavaPhiConfig(Phi3Config), LlavaConfig(LlamaConfig)); plain transformers builds the language model from them.
ARCHITECTURES = {"llava_phi": "phi3", "llava_llama": "llama"}


class LanguageModelConfigError(UnknownFormatError):
    """config.json does not describe a language model this exporter knows."""

    kind = "language-model-config"


@dataclass(frozen=True)
class LanguageModelSpec:
    architecture: str  # "phi3" | "llama"
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab_size: int
    rms_norm_eps: float
    rotary_dim: int
    # RoPE inverse frequencies as transformers computes them; `long_inv_freq` (LongRoPE) replaces `inv_freq` once the
    # sequence is longer than `original_max_positions`.
    inv_freq: np.ndarray
    long_inv_freq: np.ndarray | None
    original_max_positions: int | None
    attention_scaling: float
    rope_type: str
    max_positions: int
    tie_word_embeddings: bool

    @property
    def kv_groups(self) -> int:
        return self.heads // self.kv_heads


def text_config(config: dict):
    """The transformers config (Phi3Config / LlamaConfig) of the checkpoint's language model."""
    from transformers import LlamaConfig, Phi3Config

    model_type = config.get("model_type")
    architecture = ARCHITECTURES.get(str(model_type))
    if architecture is None:
        raise LanguageModelConfigError(
            f"config.json has model_type {model_type!r}; the language-model export knows "
            f"{', '.join(ARCHITECTURES)} (Florence-VL 3B / 8B)"
        )
    fields = {k: v for k, v in config.items() if k not in ("model_type", "architectures", "auto_map")}
    return (Phi3Config if architecture == "phi3" else LlamaConfig)(**fields)


def read_spec(config: dict) -> LanguageModelSpec:
    """Sizes and RoPE tables of the checkpoint's language model, with RoPE computed by transformers itself."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    cfg = text_config(config)
    architecture = ARCHITECTURES[str(config["model_type"])]
    if architecture == "phi3":
        from transformers.models.phi3.modeling_phi3 import Phi3RotaryEmbedding as Rotary
    else:
        from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding as Rotary
    rotary = Rotary(cfg)
    rope = cfg.rope_parameters
    rope_type = rope["rope_type"]
    long_inv_freq = None
    original_max = None
    if rope_type == "longrope":
        original_max = int(rope["original_max_position_embeddings"])
        long, _ = ROPE_INIT_FUNCTIONS["longrope"](cfg, None, seq_len=original_max + 1)
        long_inv_freq = long.float().numpy()
    elif rope_type not in ("default", "llama3"):
        raise LanguageModelConfigError(f"rope type {rope_type!r} is not supported (default, llama3, longrope)")
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    inv_freq = rotary.inv_freq.float().numpy()
    return LanguageModelSpec(
        architecture=architecture,
        hidden=cfg.hidden_size,
        layers=cfg.num_hidden_layers,
        heads=cfg.num_attention_heads,
        kv_heads=cfg.num_key_value_heads,
        head_dim=head_dim,
        intermediate=cfg.intermediate_size,
        vocab_size=cfg.vocab_size,
        rms_norm_eps=float(cfg.rms_norm_eps),
        rotary_dim=2 * inv_freq.shape[0],
        inv_freq=inv_freq,
        long_inv_freq=long_inv_freq,
        original_max_positions=original_max,
        attention_scaling=float(rotary.attention_scaling),
        rope_type=rope_type,
        max_positions=int(cfg.max_position_embeddings),
        tie_word_embeddings=bool(getattr(cfg, "tie_word_embeddings", False)),
    )
