"""Comparison encoders: a CLIP, SigLIP or DINOv2 checkpoint -> a vision-only model folder in the Hugging Face /
onnx-community ONNX layout (docs/architecture.md, "Comparison encoders"):

  config.json, preprocessor_config.json   copied from the checkpoint
  onnx/vision_model.onnx                  CLIP and SigLIP (onnx/model.onnx for DINOv2, onnx-community's name)
                                          pixel_values [B, 3, H, W] -> last_hidden_state [B, T, D], pooler_output [B, D]

The outputs are exactly the transformers model's (CLIPVisionModel, SiglipVisionModel, Dinov2Model): CLIP's
last_hidden_state before post_layernorm and its pooled class token after it, SigLIP's attention-pooling head,
DINOv2's layer-normed class token. H and W are the processor's output size (the crop when it crops), fixed in the
graph: DINOv2 interpolates its position embeddings to that grid while tracing.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import torch
from torch import nn

from .errors import MissingProcessorFilesError, MissingWeightsError, OutputFolderError, UnknownFormatError
from .onnx_export import _save
from .weights import weight_files

# config.json model_type -> family; a full CLIP / SigLIP config holds the tower's in vision_config.
FAMILIES = {"clip": "clip", "clip_vision_model": "clip", "siglip": "siglip", "siglip_vision_model": "siglip",
            "dinov2": "dinov2"}
GRAPH_FILES = {"clip": "onnx/vision_model.onnx", "siglip": "onnx/vision_model.onnx", "dinov2": "onnx/model.onnx"}
OUTPUTS = ["last_hidden_state", "pooler_output"]


def encoder_family(folder: Path) -> str | None:
    """'clip', 'siglip' or 'dinov2' when the folder's config.json is one of theirs, else None."""
    path = folder / "config.json"
    if not path.is_file():
        return None
    return FAMILIES.get(json.loads(path.read_text()).get("model_type"))


def model_class(family: str):
    from transformers import CLIPVisionModel, Dinov2Model, SiglipVisionModel

    return {"clip": CLIPVisionModel, "siglip": SiglipVisionModel, "dinov2": Dinov2Model}[family]


def load_vision_encoder(folder: Path, family: str) -> nn.Module:
    """The checkpoint's vision tower (the vision part of a full CLIPModel / SiglipModel), every weight present."""
    weight_files(folder)  # typed error for a folder without (all of) its weights
    model, info = model_class(family).from_pretrained(folder, attn_implementation="eager", output_loading_info=True)
    missing = [name for name in info["missing_keys"] if not name.endswith("position_ids")]
    if missing:
        raise MissingWeightsError(f"{folder}: the {family} vision tower's weights {', '.join(missing[:5])}"
                                  f"{' …' if len(missing) > 5 else ''} are not in the checkpoint.")
    if family == "siglip" and not model.config.vision_use_head:
        raise UnknownFormatError(f"{folder}: this SigLIP tower has no pooling head (vision_use_head false), so "
                                 "it has no pooler_output; Lens needs the pooled token.")
    return model.eval()


class VisionGraph(nn.Module):
    """pixel_values -> (last_hidden_state, pooler_output), as the transformers model returns them."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor):
        out = self.model(pixel_values=pixel_values)
        return out.last_hidden_state, out.pooler_output


def processor_size(preprocessor: dict) -> tuple[int, int]:
    """The (height, width) of the pixel_values the image processor produces: its crop when it crops."""
    def as_hw(value) -> tuple[int, int] | None:
        if isinstance(value, int):
            return value, value
        if isinstance(value, dict) and "height" in value and "width" in value:
            return int(value["height"]), int(value["width"])
        return None

    crop = as_hw(preprocessor.get("crop_size"))
    if preprocessor.get("do_center_crop") and crop is not None:
        return crop
    size = preprocessor.get("size")
    fixed = as_hw(size) if isinstance(size, dict) else None
    if fixed is not None:
        return fixed
    raise MissingProcessorFilesError(
        f"preprocessor_config.json resizes to {size!r} without a center crop, so the image size is not fixed; "
        "an encoder export needs size {height, width} or do_center_crop with crop_size.")


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and encoder_family(out) is None:
        raise OutputFolderError(f"{out} exists and is not an earlier encoder export; choose an empty folder.")
    if (out / "onnx").is_dir():
        shutil.rmtree(out / "onnx")
    out.mkdir(parents=True, exist_ok=True)


def export_encoder(source: Path, out: Path, *, dtypes: list[str], image_size: int | None = None,
                   external_data_bytes: int = 2 * 1024**3, log=print) -> dict:
    started = time.time()
    source = source.resolve()
    family = encoder_family(source)
    if family is None:
        raise UnknownFormatError(f"{source} is not a CLIP, SigLIP or DINOv2 checkpoint.")
    if dtypes != ["fp32"]:
        raise OutputFolderError(f"comparison encoders are exported in fp32 only (asked for {', '.join(dtypes)}).")
    if image_size is not None:
        raise OutputFolderError("--image-size does not apply to comparison encoders: their preprocessor_config.json "
                                "fixes the input size.")
    processor_file = source / "preprocessor_config.json"
    if not processor_file.is_file():
        raise MissingProcessorFilesError(f"{source} has no preprocessor_config.json; download it with the weights "
                                         "(the image processor's settings decide resize, crop and normalisation).")
    height, width = processor_size(json.loads(processor_file.read_text()))
    log(f"detected {family} checkpoint in {source}")
    model = load_vision_encoder(source, family)
    _prepare_out(out)
    graph = GRAPH_FILES[family]
    log(f"exporting {graph} ({height}x{width}) to {out}")
    module = VisionGraph(model).eval()
    example = torch.zeros(1, 3, height, width)
    _save(module, (example,), out / graph, ["pixel_values"], OUTPUTS,
          {"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"},
           "pooler_output": {0: "batch_size"}}, external_data_bytes)
    shutil.copyfile(source / "config.json", out / "config.json")
    shutil.copyfile(processor_file, out / "preprocessor_config.json")
    with torch.no_grad():
        hidden, pooled = module(example)
    config = model.config
    return {
        "format": f"encoder:{family}", "family": family, "source": str(source), "out": str(out),
        "architecture": {"model_type": config.model_type, "hidden_size": config.hidden_size,
                         "layers": config.num_hidden_layers, "heads": config.num_attention_heads,
                         "patch_size": config.patch_size},
        "notes": [], "image_size": [height, width], "image_token_count": hidden.shape[1],
        "hidden_size": hidden.shape[2], "pooled_size": pooled.shape[1], "dtypes": dtypes, "graphs": [graph],
        "seconds": round(time.time() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
