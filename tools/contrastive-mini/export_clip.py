"""Export of the contrastive miniature's image encoder in the CLIP (onnx-community) layout.

    config.json                 CLIPConfig: model_type "clip", vision_config (hidden 128, image 192, patch 16 -> 12x12)
    preprocessor_config.json    CLIPImageProcessor: resize to 192x192 (bicubic), no crop, 1/255, ImageNet mean/std
    onnx/vision_model.onnx      pixel_values [B,3,192,192] -> last_hidden_state [B,145,128], pooler_output [B,128]
    pytorch/clip-mini.pt        the whole PyTorch model (both towers, projections, temperature) and its config
fp32, opset 17, dynamic batch axis. Token 0 of last_hidden_state is the pooled token (CLIP's class-token slot), then
the 144 patches row-major; pooler_output is that token, the embedding before the contrastive projection.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import torch

from clip_mini import ClipMini, VisionModelGraph, vision_config
from common import IMAGE_MEAN, IMAGE_STD, sha256
from tokenizer import BOS_ID, EOS_ID, PAD_ID

OPSET = 17
ONNX_PATH = "onnx/vision_model.onnx"
WEIGHTS_PATH = "pytorch/clip-mini.pt"


def hf_config(model: ClipMini) -> dict:
    v, t = vision_config(), model.cfg.text
    grid = v.grids[-1]
    return {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": model.cfg.projection_dim,
        "logit_scale_init_value": 2.6592,
        "torch_dtype": "float32",
        "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_size": v.d_model,
            "image_size": v.image_size,
            "patch_size": v.image_size // grid,
            "num_channels": 3,
            "num_hidden_layers": sum(v.vision_depths),
            "num_attention_heads": max(v.vision_heads),
            "intermediate_size": 2 * v.d_model,
            "hidden_act": "gelu",
            "layer_norm_eps": 1e-5,
            "projection_dim": model.cfg.projection_dim,
        },
        "text_config": {
            "model_type": "clip_text_model",
            "hidden_size": t.hidden,
            "num_hidden_layers": t.layers,
            "num_attention_heads": t.heads,
            "intermediate_size": t.ffn,
            "max_position_embeddings": t.max_positions,
            "vocab_size": t.vocab_size,
            "hidden_act": "gelu",
            "bos_token_id": BOS_ID,
            "eos_token_id": EOS_ID,
            "pad_token_id": PAD_ID,
            "projection_dim": model.cfg.projection_dim,
        },
        "lens": {
            "vision_tower": "Florence-VL-mini's VisionEncoder (DaViT-like, 4 stages, dims [32, 64, 128, 128], grids "
                            "[48, 24, 12, 12]), not a ViT: patch_size is image_size / grid",
            "tokens": v.n_image_tokens,
            "pooler_output": "token 0 of last_hidden_state (the tower's pooled token), before visual_projection",
            "tokenizer": "models/florence-vl-mini/tokenizer.json",
        },
    }


def preprocessor_config() -> dict:
    size = vision_config().image_size
    return {
        "image_processor_type": "CLIPImageProcessor",
        "do_resize": True, "size": {"height": size, "width": size}, "resample": 3,
        "do_center_crop": False, "crop_size": {"height": size, "width": size},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": list(IMAGE_MEAN), "image_std": list(IMAGE_STD), "do_convert_rgb": True,
    }


def export_onnx(model: ClipMini, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    size = vision_config().image_size
    kwargs = dict(input_names=["pixel_values"], output_names=["last_hidden_state", "pooler_output"],
                  dynamic_axes={"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"},
                                "pooler_output": {0: "batch"}},
                  opset_version=OPSET, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # TorchScript exporter on newer torch (same graph as on 1.13)
    graph = VisionModelGraph(model).eval()
    with torch.no_grad():
        torch.onnx.export(graph, (torch.zeros(1, 3, size, size),), str(path), **kwargs)


def save_weights(model: ClipMini, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.cfg.to_dict(), "model": model.state_dict()}, path)


def load_weights(folder: Path) -> ClipMini:
    from clip_mini import ClipMiniConfig, TextConfig

    state = torch.load(folder / WEIGHTS_PATH, map_location="cpu")
    model = ClipMini(ClipMiniConfig(TextConfig(**state["config"]["text"]), state["config"]["projection_dim"]))
    model.load_state_dict(state["model"])
    return model.eval()


def onnx_check(path: Path) -> dict:
    """onnx.checker plus the graph's input/output names and shapes (symbolic axes by name)."""
    import onnx

    m = onnx.load(str(path))
    onnx.checker.check_model(m)

    def sig(values):
        return {x.name: [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim] for x in values}

    return {"inputs": sig(m.graph.input), "outputs": sig(m.graph.output), "opset": OPSET}


def files_manifest(folder: Path) -> dict:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in ("training.json", "README.md"))
    return {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": sha256(p)} for p in files}
