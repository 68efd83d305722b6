"""Random-initialised Florence-2-base / -large (the real architectures shrunk only in depth and width) saved as
the three checkpoint formats the exporter reads:

  native/        Florence2ForConditionalGeneration.save_pretrained (florence-community layout, safetensors)
  remote-code/   Microsoft's layout: remote-code config.json + pytorch_model.bin with its weight names
  florence-vl/   a llava_phi checkpoint: the tower under model.vision_tower.vision_tower.<remote-code names>, a
                 random DBFusion projector model.mm_projector.*, two safetensors shards + index; the Florence-2
                 tokenizer is not part of it (as on the hub): the exporter takes it from --tower-files.

`write_florence_vl` takes extra tensors and config fields, so the language-model fixtures can add an LLM.
Run `python -m fvl_export.testing.fixtures --out DIR [--size base|large|large-full]`.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn
from transformers import Florence2Config, Florence2ForConditionalGeneration

from .. import remote_code
from ..checkpoint import FLORENCE_VL_PROJECTOR, FLORENCE_VL_TOWER
from .bart_tokenizer import tokenizer_files

IMAGE_SIZE = 768
VOCAB = 51289

# The real configurations (Florence-2 model cards / configs); fixtures shrink the marked fields only.
REAL = {
    "base": {"embed_dim": [128, 256, 512, 1024], "depths": [1, 1, 9, 1], "projection_dim": 768,
             "d_model": 768, "layers": 6, "ffn": 3072},
    "large": {"embed_dim": [256, 512, 1024, 2048], "depths": [1, 1, 9, 1], "projection_dim": 1024,
              "d_model": 1024, "layers": 12, "ffn": 4096},
}
# Shrunk in width (channels, d_model, ffn) and depth (blocks, layers); head widths stay Florence-2's (32 / 64).
SHRUNK = {
    "base": {"embed_dim": [32, 64, 128, 256], "depths": [1, 1, 2, 1], "projection_dim": 128,
             "d_model": 128, "layers": 2, "ffn": 512},
    "large": {"embed_dim": [64, 128, 256, 512], "depths": [1, 1, 3, 1], "projection_dim": 256,
              "d_model": 256, "layers": 3, "ffn": 1024},
}


def florence2_config(size: str) -> Florence2Config:
    """'base', 'large' (shrunk) or 'large-full' (the real Florence-2-large architecture)."""
    shape = REAL["large"] if size == "large-full" else SHRUNK[size]
    heads = [dim // 32 for dim in shape["embed_dim"]]
    text_heads = shape["d_model"] // 64
    return Florence2Config(
        vision_config={
            "model_type": "florence_vision", "embed_dim": shape["embed_dim"], "depths": shape["depths"],
            "num_heads": heads, "num_groups": heads, "window_size": 12, "patch_size": [7, 3, 3, 3],
            "patch_stride": [4, 2, 2, 2], "patch_padding": [3, 1, 1, 1], "patch_prenorm": [False, True, True, True],
            "projection_dim": shape["projection_dim"], "drop_path_rate": 0.1, "max_temporal_embeddings": 100,
            "max_position_embeddings": 50,
        },
        text_config={
            "model_type": "bart", "vocab_size": VOCAB, "d_model": shape["d_model"], "max_position_embeddings": 1024,
            "encoder_layers": shape["layers"], "decoder_layers": shape["layers"],
            "encoder_attention_heads": text_heads, "decoder_attention_heads": text_heads,
            "encoder_ffn_dim": shape["ffn"], "decoder_ffn_dim": shape["ffn"], "activation_function": "gelu",
            "scale_embedding": False, "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2,
            "decoder_start_token_id": 2, "forced_bos_token_id": 0, "forced_eos_token_id": 2,
        },
        bos_token_id=0, pad_token_id=1, eos_token_id=2, is_encoder_decoder=True,
    )


# transformers initialises the text weights with std 0.02, at which a random encoder-decoder emits the same few
# tokens whatever the image and prompt: answers would agree vacuously. A wider init makes every answer depend on its
# inputs (0.2 for the decoder and embeddings; 0.1 in the encoder, whose states are compared at 1e-4 and grow with
# it), and a shared direction added to the last decoder layer's output and to the <loc_N> embeddings makes loc
# tokens likely, so detection answers contain boxes to compare.
TEXT_INIT_STD = 0.2
ENCODER_INIT_STD = 0.1
LOC_BOOST = 7.0
LOC_IDS = range(50269, 51269)


def random_model(size: str, seed: int) -> Florence2ForConditionalGeneration:
    torch.manual_seed(seed)
    config = florence2_config(size)
    config._attn_implementation = "eager"
    model = Florence2ForConditionalGeneration(config).eval()
    text = model.model.language_model
    with torch.no_grad():
        for name, parameter in text.named_parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, ENCODER_INIT_STD if name.startswith("encoder.layers.") else TEXT_INIT_STD)
        direction = torch.randn(config.text_config.d_model)
        direction /= direction.norm()
        text.decoder.layers[-1].final_layer_norm.bias += direction
        text.shared.weight[LOC_IDS.start:LOC_IDS.stop] += LOC_BOOST * direction
    return model


# As Microsoft's Florence-2 generation_config.json (BART's early_stopping: beam search ends once 3 beams finish).
GENERATION_CONFIG = {"bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "decoder_start_token_id": 2,
                     "forced_bos_token_id": 0, "forced_eos_token_id": 2, "no_repeat_ngram_size": 3,
                     "num_beams": 3, "early_stopping": True, "max_new_tokens": 1024}


def preprocessor_config(image_size: int = IMAGE_SIZE) -> dict:
    tokens = (image_size // 32) ** 2 + 1
    return {
        "processor_class": "Florence2Processor", "image_processor_type": "CLIPImageProcessor", "do_resize": True,
        "size": {"height": image_size, "width": image_size}, "resample": 3, "do_center_crop": False,
        "crop_size": {"height": image_size, "width": image_size}, "do_rescale": True,
        "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225], "do_convert_rgb": True, "image_seq_length": tokens,
    }


def _write_processor_files(folder: Path) -> None:
    for name, text in tokenizer_files().items():
        (folder / name).write_text(text)
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(), indent=1))


def write_native(model: Florence2ForConditionalGeneration, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    (folder / "generation_config.json").write_text(json.dumps(GENERATION_CONFIG, indent=1))
    _write_processor_files(folder)
    return folder


def remote_state_dict(model: Florence2ForConditionalGeneration) -> dict[str, torch.Tensor]:
    out = {}
    for name, tensor in model.state_dict().items():
        if name in ("model.language_model.encoder.embed_tokens.weight",
                    "model.language_model.decoder.embed_tokens.weight"):
            continue
        remote = remote_code.remote_name(name)
        out[remote] = (tensor.t() if name in remote_code.TRANSPOSED else tensor).contiguous().clone()
    # Microsoft's checkpoints also store the tied copies and BART's zero logits bias.
    shared = out["language_model.model.shared.weight"]
    out["language_model.model.encoder.embed_tokens.weight"] = shared.clone()
    out["language_model.model.decoder.embed_tokens.weight"] = shared.clone()
    out["language_model.final_logits_bias"] = torch.zeros(1, shared.shape[0])
    return out


def write_remote_code(model: Florence2ForConditionalGeneration, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    native = json.loads(model.config.to_json_string())
    remote = remote_code.remote_config_dict(native)
    remote["text_config"].update({"early_stopping": True, "no_repeat_ngram_size": 3, "num_beams": 3})
    (folder / "config.json").write_text(json.dumps(remote, indent=1))
    torch.save(remote_state_dict(model), folder / "pytorch_model.bin")
    (folder / "generation_config.json").write_text(json.dumps(GENERATION_CONFIG, indent=1))
    _write_processor_files(folder)
    return folder


def random_projector(input_dims: int, hidden: int, seed: int, depth: int = 3) -> dict[str, torch.Tensor]:
    """DualMLPProjector's weights (mlp3x_gelu): encoder_mlp.0 Linear, encoder_mlp.{k}.1 Linear after a GELU."""
    torch.manual_seed(seed)
    linears = [nn.Linear(input_dims, hidden)] + [nn.Linear(hidden, hidden) for _ in range(depth - 1)]
    out = {}
    for k, linear in enumerate(linears):
        prefix = f"{FLORENCE_VL_PROJECTOR}encoder_mlp.{k}." if k == 0 else f"{FLORENCE_VL_PROJECTOR}encoder_mlp.{k}.1."
        out[prefix + "weight"] = linear.weight.detach().clone()
        out[prefix + "bias"] = linear.bias.detach().clone()
    return out


def llava_phi_config(projection_dim: int, hidden: int) -> dict:
    """config.json fields of jiuhai/florence-vl-3b-sft (LlavaPhiConfig over Phi3Config), LLM shrunk to `hidden`."""
    return {
        "architectures": ["LlavaPhiForCausalLM"], "model_type": "llava_phi",
        "hidden_size": hidden, "intermediate_size": 2 * hidden, "num_hidden_layers": 2,
        "num_attention_heads": max(1, hidden // 96), "num_key_value_heads": max(1, hidden // 96),
        "vocab_size": 32064, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
        "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "hidden_act": "silu", "bos_token_id": 1,
        "eos_token_id": 32000, "pad_token_id": 32000, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "mm_vision_tower": "jiuhai/florence-phi-vision-tower", "mm_projector_type": "mlp3x_gelu",
        "mm_hidden_size": projection_dim, "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch",
        "mm_patch_merge_type": "flat", "mm_use_im_start_end": False, "mm_use_im_patch_token": False,
        "image_aspect_ratio": "pad", "tokenizer_model_max_length": 4096, "tokenizer_padding_side": "right",
        "use_mm_proj": True, "freeze_mm_mlp_adapter": False, "tune_mm_mlp_adapter": False,
    }


def write_florence_vl(model: Florence2ForConditionalGeneration, folder: Path, *, hidden: int = 192, seed: int = 1,
                      extra_tensors: dict[str, torch.Tensor] | None = None, extra_config: dict | None = None) -> Path:
    """Shard 1: the vision tower; shard 2: the projector and `extra_tensors` (e.g. an LLM's weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    projection_dim = model.config.vision_config.projection_dim
    config = {**llava_phi_config(projection_dim, hidden), **(extra_config or {})}
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    tower = {FLORENCE_VL_TOWER + name: tensor for name, tensor in remote_state_dict(model).items()}
    rest = {**random_projector(4 * projection_dim, config["hidden_size"], seed), **(extra_tensors or {})}
    shards = {"model-00001-of-00002.safetensors": tower, "model-00002-of-00002.safetensors": rest}
    weight_map = {}
    for file, tensors in shards.items():
        save_file({name: tensor.contiguous() for name, tensor in tensors.items()}, str(folder / file),
                  metadata={"format": "pt"})
        weight_map.update({name: file for name in tensors})
    total = sum(t.numel() * t.element_size() for tensors in shards.values() for t in tensors.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))
    return folder


def write_all(size: str, out: Path, seed: int = 0) -> dict[str, Path]:
    model = random_model(size, seed)
    return {
        "native": write_native(model, out / "native"),
        "remote-code": write_remote_code(copy.deepcopy(model), out / "remote-code"),
        "florence-vl": write_florence_vl(model, out / "florence-vl"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", choices=["base", "large", "large-full"], default="base")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="native,remote-code,florence-vl")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = random_model(args.size, args.seed)
    writers = {"native": write_native, "remote-code": write_remote_code, "florence-vl": write_florence_vl}
    for name in args.formats.split(","):
        print(writers[name](model, args.out / name))


if __name__ == "__main__":
    main()
