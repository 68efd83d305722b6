"""Microsoft's remote-code Florence-2 layout (microsoft/Florence-2-*, Florence-VL's vision towers) <-> the
transformers-native Florence2ForConditionalGeneration: weight names and configuration fields.

The mapping is written native -> remote (one function); loading a remote checkpoint inverts it over the native
model's own parameter names, so every native weight is accounted for and nothing is guessed.
"""

from __future__ import annotations

import re

# Sub-module renames inside the DaViT tower, applied in order to a native name without its "model." prefix.
_TOWER_RULES = (
    (re.compile(r"(convs\.\d+)\.conv\."), r"\1.proj."),
    (re.compile(r"(spatial_block|channel_block)\.conv([12])\."), r"\1.conv\2.fn.dw."),
    (re.compile(r"spatial_block\.norm1\."), "spatial_block.window_attn.norm."),
    (re.compile(r"channel_block\.norm1\."), "channel_block.channel_attn.norm."),
    (re.compile(r"(window_attn|channel_attn)\.(qkv|proj)\."), r"\1.fn.\2."),
    (re.compile(r"_block\.norm2\."), "_block.ffn.norm."),
    (re.compile(r"ffn\.fc([12])\."), r"ffn.fn.net.fc\1."),
)
_PROJECTOR_PREFIXES = (
    ("model.multi_modal_projector.image_proj_norm.", "image_proj_norm."),
    ("model.multi_modal_projector.image_position_embed.", "image_pos_embed."),
    ("model.multi_modal_projector.visual_temporal_embed.", "visual_temporal_embed."),
    ("model.language_model.", "language_model.model."),
)
# The remote code keeps image_projection as a bare [in, out] parameter used as x @ W; native is a Linear [out, in].
TRANSPOSED = {"model.multi_modal_projector.image_projection.weight": "image_projection"}
NATIVE_ONLY_TIED = ("lm_head.weight",)


def remote_name(native: str) -> str:
    """The remote-code checkpoint's name for one native parameter or buffer."""
    if native in TRANSPOSED:
        return TRANSPOSED[native]
    if native == "lm_head.weight":
        return "language_model.lm_head.weight"
    if native.startswith("model.vision_tower."):
        name = native[len("model."):]
        for pattern, replacement in _TOWER_RULES:
            name = pattern.sub(replacement, name)
        return name
    for native_prefix, remote_prefix in _PROJECTOR_PREFIXES:
        if native.startswith(native_prefix):
            return remote_prefix + native[len(native_prefix):]
    raise KeyError(f"no remote-code name for {native}")


def native_config_dict(remote: dict) -> dict:
    """A Florence2Config dict from the remote-code config.json (davit vision config, florence2_language text)."""
    vision = remote["vision_config"]
    text = {key: value for key, value in remote["text_config"].items() if key not in ("architectures", "_name_or_path")}
    text["model_type"] = "bart"
    return {
        "model_type": "florence2",
        "architectures": ["Florence2ForConditionalGeneration"],
        "text_config": text,
        "vision_config": {
            "model_type": "florence_vision",
            "embed_dim": vision["dim_embed"],
            "depths": vision["depths"],
            "num_heads": vision["num_heads"],
            "num_groups": vision["num_groups"],
            "window_size": vision["window_size"],
            "patch_size": vision["patch_size"],
            "patch_stride": vision["patch_stride"],
            "patch_padding": vision["patch_padding"],
            "patch_prenorm": vision["patch_prenorm"],
            "projection_dim": vision.get("projection_dim", remote.get("projection_dim")),
            "drop_path_rate": vision.get("drop_path_rate", 0.1),
            "max_temporal_embeddings": vision["visual_temporal_embedding"]["max_temporal_embeddings"],
            "max_position_embeddings": vision["image_pos_embed"]["max_pos_embeddings"],
        },
        "bos_token_id": remote.get("bos_token_id", 0),
        "pad_token_id": remote.get("pad_token_id", 1),
        "eos_token_id": remote.get("eos_token_id", 2),
        "is_encoder_decoder": True,
    }


def remote_config_dict(native: dict) -> dict:
    """The remote-code config.json Microsoft's checkpoints carry, for the same architecture (fixtures use it)."""
    vision = native["vision_config"]
    text = {key: value for key, value in native["text_config"].items()
            if key not in ("transformers_version", "architectures", "_name_or_path", "dtype", "id2label", "label2id")}
    text["model_type"] = "florence2_language"
    return {
        "architectures": ["Florence2ForConditionalGeneration"],
        "auto_map": {
            "AutoConfig": "configuration_florence2.Florence2Config",
            "AutoModelForCausalLM": "modeling_florence2.Florence2ForConditionalGeneration",
        },
        "model_type": "florence2",
        "bos_token_id": 0,
        "eos_token_id": 2,
        "pad_token_id": 1,
        "ignore_index": -100,
        "is_encoder_decoder": True,
        "projection_dim": vision["projection_dim"],
        "vocab_size": text["vocab_size"],
        "text_config": text,
        "vision_config": {
            "model_type": "davit",
            "dim_embed": vision["embed_dim"],
            "depths": vision["depths"],
            "num_heads": vision["num_heads"],
            "num_groups": vision["num_groups"],
            "window_size": vision["window_size"],
            "patch_size": vision["patch_size"],
            "patch_stride": vision["patch_stride"],
            "patch_padding": vision["patch_padding"],
            "patch_prenorm": vision["patch_prenorm"],
            "projection_dim": vision["projection_dim"],
            "drop_path_rate": vision["drop_path_rate"],
            "enable_checkpoint": False,
            "visual_temporal_embedding": {"type": "COSINE",
                                          "max_temporal_embeddings": vision["max_temporal_embeddings"]},
            "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": vision["max_position_embeddings"]},
            "image_feature_source": ["spatial_avg_pool", "temporal_avg_pool"],
        },
    }
