"""Detects a checkpoint folder's format and loads it as a transformers-native Florence-2 model (+ projector).

Formats:
  hf-native    Florence2ForConditionalGeneration saved by transformers (florence-community/Florence-2-*)
  remote-code  Microsoft's layout (microsoft/Florence-2-*, jiuhai/florence-*-vision-tower): weights renamed here
  florence-vl  a Florence-VL checkpoint (llava_phi / llava_llama): the vision tower under
               model.vision_tower.vision_tower.<remote-code names> and the DBFusion projector model.mm_projector.*
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from transformers import Florence2Config, Florence2ForConditionalGeneration

from . import remote_code
from .errors import LanguageModelOnlyError, MissingWeightsError, UnknownFormatError, WeightShapeError
from .weights import read_weights, tensor_names, weight_files

FLORENCE_VL_TOWER = "model.vision_tower.vision_tower."
FLORENCE_VL_PROJECTOR = "model.mm_projector."
LLAVA_TYPES = {"llava_phi": "phi3", "llava_llama": "llama"}
LANGUAGE_MODEL_TYPES = {"phi3", "phi", "llama", "mistral", "qwen2", "gemma"}
# Florence-2's fixed head widths: DaViT heads are 32 channels wide, the BART encoder-decoder's 64 (base and large).
VISION_HEAD_DIM = 32
TEXT_HEAD_DIM = 64


@dataclass
class Projector:
    """DBFusion's projector: mlp{depth}x_gelu over the channel concatenation [V; V'1; V'2; V'3]."""

    module: nn.Sequential
    type: str
    input_dims: int
    output_dims: int


@dataclass
class Checkpoint:
    format: str
    folder: Path
    model: Florence2ForConditionalGeneration
    config: Florence2Config
    files: list[Path]
    projector: Projector | None = None
    # The Florence-VL checkpoint's own config.json (llava_*), for the language-model export.
    llava_config: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def architecture(self) -> dict:
        vision, text = self.config.vision_config, self.config.text_config
        return {
            "vision_dims": list(vision.embed_dim), "vision_depths": list(vision.depths),
            "vision_heads": list(vision.num_heads), "projection_dim": vision.projection_dim,
            "text_d_model": text.d_model, "encoder_layers": text.encoder_layers,
            "decoder_layers": text.decoder_layers, "text_heads": text.encoder_attention_heads,
            "vocab_size": text.vocab_size,
        }


def read_config(folder: Path) -> dict:
    path = folder / "config.json"
    if not folder.is_dir():
        raise UnknownFormatError(f"{folder} is not a folder. Point --from at a downloaded checkpoint folder.")
    if not path.is_file():
        raise UnknownFormatError(f"{folder} has no config.json, so it is not a Hugging Face checkpoint folder. "
                                 "Expected Florence-2 (native or remote code) or a Florence-VL checkpoint.")
    return json.loads(path.read_text())


def detect_format(folder: Path) -> str:
    """'hf-native', 'remote-code' or 'florence-vl'; typed errors for anything else."""
    config = read_config(folder)
    model_type = config.get("model_type")
    if model_type in LLAVA_TYPES or "mm_projector_type" in config:
        return "florence-vl"
    if model_type == "florence2":
        vision_type = (config.get("vision_config") or {}).get("model_type")
        return "remote-code" if vision_type == "davit" or "auto_map" in config else "hf-native"
    if model_type in LANGUAGE_MODEL_TYPES:
        raise LanguageModelOnlyError(
            f"{folder} is a {model_type} language model without a Florence-2 vision tower. Export the Florence-VL "
            "checkpoint folder (e.g. jiuhai/florence-vl-3b-sft), which holds the tower, the projector and the LLM.")
    raise UnknownFormatError(
        f"{folder}: config.json has model_type {model_type!r}; expected 'florence2' (Florence-2, native or "
        "Microsoft's remote code), 'llava_phi' / 'llava_llama' (Florence-VL), or a comparison encoder's "
        "'clip', 'clip_vision_model', 'siglip', 'siglip_vision_model' or 'dinov2'.")


def load_checkpoint(folder: Path) -> Checkpoint:
    folder = folder.resolve()
    kind = detect_format(folder)
    files = weight_files(folder)
    if kind == "hf-native":
        config = Florence2Config(**read_config(folder))
        model = _build(config)
        _assign(model, read_weights(files), folder, lambda native: native)
        return Checkpoint(kind, folder, model, config, [folder / "config.json", *files])
    if kind == "remote-code":
        config = Florence2Config(**remote_code.native_config_dict(read_config(folder)))
        model = _build(config)
        _assign(model, read_weights(files), folder, remote_code.remote_name)
        return Checkpoint(kind, folder, model, config, [folder / "config.json", *files])
    return _load_florence_vl(folder, files)


def _load_florence_vl(folder: Path, files: list[Path]) -> Checkpoint:
    llava = read_config(folder)
    names = [name for path in files for name in tensor_names(path)]
    tower_names = [name[len(FLORENCE_VL_TOWER):] for name in names if name.startswith(FLORENCE_VL_TOWER)]
    if not tower_names:
        raise LanguageModelOnlyError(
            f"{folder} is a {llava.get('model_type')} checkpoint without vision-tower weights "
            f"({FLORENCE_VL_TOWER}*): only its language model is here. Use a Florence-VL checkpoint saved with "
            "its tower (the -sft / -pretrain folders), or export the vision tower folder (jiuhai/florence-*-vision-tower).")
    wanted = lambda name: name.startswith((FLORENCE_VL_TOWER, FLORENCE_VL_PROJECTOR))  # noqa: E731
    weights = read_weights(files, wanted)
    tower = {name[len(FLORENCE_VL_TOWER):]: tensor for name, tensor in weights.items()
             if name.startswith(FLORENCE_VL_TOWER)}
    notes: list[str] = []
    tower_config = folder / "vision_tower" / "config.json"
    if tower_config.is_file():
        config = Florence2Config(**remote_code.native_config_dict(json.loads(tower_config.read_text())))
        notes.append("vision tower architecture from vision_tower/config.json")
    else:
        config = Florence2Config(**_infer_tower_config(tower))
        notes.append("vision tower architecture inferred from the weight shapes (Florence-2 head widths: "
                     f"{VISION_HEAD_DIM} vision, {TEXT_HEAD_DIM} text)")
    model = _build(config)
    _assign(model, tower, folder, remote_code.remote_name)
    projector = _load_projector(llava, weights, config, folder)
    return Checkpoint("florence-vl", folder, model, config, [folder / "config.json", *files], projector, llava, notes)


def _build(config: Florence2Config) -> Florence2ForConditionalGeneration:
    config._attn_implementation = "eager"  # attention probabilities are graph outputs
    with torch.device("meta"):
        model = Florence2ForConditionalGeneration(config)
    return model.eval()


def _assign(model: nn.Module, weights: dict[str, torch.Tensor], folder: Path, source_name) -> None:
    """Copies every native parameter/buffer from `weights` (looked up by `source_name`), checking shapes."""
    state = model.state_dict()
    loaded: dict[str, torch.Tensor] = {}
    missing: list[str] = []
    tied = {"lm_head.weight", "model.language_model.encoder.embed_tokens.weight",
            "model.language_model.decoder.embed_tokens.weight"}
    for native, target in state.items():
        name = source_name(native)
        tensor = weights.get(name)
        if tensor is None and native in tied:
            continue  # tied to model.language_model.shared.weight
        if tensor is None and native.endswith("visual_temporal_embed.pos_idx_to_embed"):
            continue  # a fixed sinusoid table the model computes itself; not every checkpoint stores it
        if tensor is None:
            missing.append(name)
            continue
        if native in remote_code.TRANSPOSED and source_name is remote_code.remote_name:
            tensor = tensor.t()
        if tuple(tensor.shape) != tuple(target.shape):
            raise WeightShapeError(
                f"{folder.name}: weight {name} has shape {list(tensor.shape)} but the architecture in config.json "
                f"needs {list(target.shape)}. The config and the weights come from different models.")
        loaded[native] = tensor.to(torch.float32).contiguous()
    if missing:
        raise MissingWeightsError(
            f"{folder.name}: {len(missing)} weights of the architecture are not in the checkpoint, e.g. "
            f"{', '.join(missing[:3])}. The weight files are incomplete or belong to another model.")
    model.load_state_dict(loaded, strict=False, assign=True)
    model.tie_weights()
    # Buffers the checkpoint did not carry (the temporal sinusoids) are recomputed on a real device.
    temporal = model.model.multi_modal_projector.visual_temporal_embed
    if temporal.pos_idx_to_embed.is_meta:
        sine, cosine = temporal.get_sinusoid_embeddings(temporal.max_seq_len, temporal.embed_dim)
        table = torch.empty(temporal.max_seq_len, temporal.embed_dim)
        table[:, 0::2], table[:, 1::2] = sine, cosine
        temporal.pos_idx_to_embed = table


def _count(names, pattern: str) -> int:
    regex = re.compile(pattern)
    return len({match.group(1) for name in names if (match := regex.match(name))})


def _infer_tower_config(tower: dict[str, torch.Tensor]) -> dict:
    """A remote-code config for the tower from its weight shapes (Florence-VL checkpoints carry no tower config)."""
    names = list(tower)
    stages = _count(names, r"vision_tower\.convs\.(\d+)\.")
    dims = [tower[f"vision_tower.convs.{i}.proj.weight"].shape[0] for i in range(stages)]
    kernels = [tower[f"vision_tower.convs.{i}.proj.weight"].shape[-1] for i in range(stages)]
    depths = [_count(names, rf"vision_tower\.blocks\.{i}\.(\d+)\.") for i in range(stages)]
    shared = tower["language_model.model.shared.weight"]
    d_model = shared.shape[1]
    ffn = tower["language_model.model.encoder.layers.0.fc1.weight"].shape[0]
    positions = tower["language_model.model.encoder.embed_positions.weight"].shape[0] - 2
    temporal = tower.get("visual_temporal_embed.pos_idx_to_embed")
    heads = [dim // VISION_HEAD_DIM for dim in dims]
    remote = {
        "vision_config": {
            "dim_embed": dims, "depths": depths, "num_heads": heads, "num_groups": heads, "window_size": 12,
            "patch_size": kernels, "patch_stride": [4] + [2] * (stages - 1),
            "patch_padding": [3] + [1] * (stages - 1), "patch_prenorm": [False] + [True] * (stages - 1),
            "projection_dim": tower["image_projection"].shape[1], "drop_path_rate": 0.1,
            "visual_temporal_embedding": {"max_temporal_embeddings": 100 if temporal is None else temporal.shape[0]},
            "image_pos_embed": {"max_pos_embeddings": tower["image_pos_embed.row_embeddings.weight"].shape[0]},
        },
        "text_config": {
            "vocab_size": shared.shape[0], "d_model": d_model, "max_position_embeddings": positions,
            "encoder_layers": _count(names, r"language_model\.model\.encoder\.layers\.(\d+)\."),
            "decoder_layers": _count(names, r"language_model\.model\.decoder\.layers\.(\d+)\."),
            "encoder_attention_heads": d_model // TEXT_HEAD_DIM, "decoder_attention_heads": d_model // TEXT_HEAD_DIM,
            "encoder_ffn_dim": ffn, "decoder_ffn_dim": ffn, "scale_embedding": False,
            "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2,
            "forced_bos_token_id": 0, "forced_eos_token_id": 2,
        },
    }
    return remote_code.native_config_dict(remote)


def _load_projector(llava: dict, weights: dict, config: Florence2Config, folder: Path) -> Projector:
    kind = llava.get("mm_projector_type", "mlp2x_gelu")
    match = re.fullmatch(r"mlp(\d+)x_gelu", kind)
    if match is None:
        raise UnknownFormatError(f"{folder.name}: mm_projector_type {kind!r} is not DBFusion's mlpNx_gelu.")
    depth = int(match.group(1))
    prefix = FLORENCE_VL_PROJECTOR + "encoder_mlp."
    # DualMLPProjector: Linear, then (GELU, Linear) pairs as nested Sequentials: encoder_mlp.0, encoder_mlp.k.1.
    sources = [f"{prefix}0."] + [f"{prefix}{k}.1." for k in range(1, depth)]
    missing = [s + "weight" for s in sources if s + "weight" not in weights]
    if missing:
        raise MissingWeightsError(f"{folder.name}: the projector ({kind}) needs {', '.join(missing)}; "
                                  "the checkpoint has no complete mm_projector.")
    hidden = weights[sources[0] + "weight"].shape[0]
    expected_in = 4 * config.vision_config.projection_dim
    layers: list[nn.Module] = []
    for k, source in enumerate(sources):
        weight = weights[source + "weight"]
        want = (hidden, expected_in if k == 0 else hidden)
        if tuple(weight.shape) != want:
            raise WeightShapeError(
                f"{folder.name}: {source}weight has shape {list(weight.shape)}, expected {list(want)} "
                f"(DBFusion over 4 x {config.vision_config.projection_dim} channels into hidden size {hidden}).")
        linear = nn.Linear(want[1], hidden)
        linear.weight.data = weight.to(torch.float32)
        linear.bias.data = weights[source + "bias"].to(torch.float32)
        layers += [nn.GELU(), linear] if k > 0 else [linear]
    return Projector(nn.Sequential(*layers).eval(), kind, expected_in, hidden)
