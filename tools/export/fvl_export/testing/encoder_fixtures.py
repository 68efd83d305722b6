"""Random-initialised comparison encoders: the real configurations of openai/clip-vit-base-patch16,
google/siglip-base-patch16-224 and facebook/dinov2-small shrunk only in width and depth (hidden size, heads, MLP,
layers), saved by transformers with the real checkpoints' preprocessor_config.json, built offline:

  clip/     a full CLIPModel (model_type clip, text tower too): the exporter takes its vision part
  siglip/   a SiglipVisionModel alone (model_type siglip_vision_model), with the attention-pooling head
  dinov2/   a Dinov2Model (config image_size 518, processor crop 224: position embeddings are interpolated)

Run `python -m fvl_export.testing.encoder_fixtures --out DIR [--family clip|siglip|dinov2]`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from transformers import CLIPConfig, CLIPModel, Dinov2Config, Dinov2Model, SiglipVisionConfig, SiglipVisionModel

# Shrunk: 64 wide with 4 heads of 16, MLP 128 (DINOv2: mlp_ratio 4, 256), 2 layers. Patch size, image size, activations and the rest stay.
SHRUNK = {"hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128, "num_hidden_layers": 2}

# The real checkpoints' preprocessor_config.json, as published (CLIP's is the old feature-extractor form).
PREPROCESSORS = {
    "clip": {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
             "feature_extractor_type": "CLIPFeatureExtractor",
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "resample": 3, "size": 224},
    "siglip": {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
               "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
               "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
               "size": {"height": 224, "width": 224}},
    "dinov2": {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
               "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.485, 0.456, 0.406],
               "image_processor_type": "BitImageProcessor", "image_std": [0.229, 0.224, 0.225], "resample": 3,
               "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256}},
}
FAMILIES = tuple(PREPROCESSORS)


def clip_model() -> CLIPModel:
    # openai/clip-vit-base-patch16: ViT-B/16 at 224 (quick_gelu), 12-layer 512-wide text tower, 512 projection.
    vision = {"image_size": 224, "patch_size": 16, "hidden_act": "quick_gelu", "projection_dim": 32, **SHRUNK}
    # The text tower shrinks its vocabulary too; its special ids move inside it (the real ones are 49406 / 49407).
    text = {"vocab_size": 1000, "max_position_embeddings": 77, "hidden_act": "quick_gelu", "projection_dim": 32,
            "bos_token_id": 998, "eos_token_id": 999, "pad_token_id": 1, **SHRUNK}
    return CLIPModel(CLIPConfig(vision_config=vision, text_config=text, projection_dim=32))


def siglip_model() -> SiglipVisionModel:
    # google/siglip-base-patch16-224's vision tower: patch 16 at 224, gelu_pytorch_tanh, MAP pooling head.
    return SiglipVisionModel(SiglipVisionConfig(image_size=224, patch_size=16, hidden_act="gelu_pytorch_tanh",
                                                layer_norm_eps=1e-6, **SHRUNK))


def dinov2_model() -> Dinov2Model:
    # facebook/dinov2-small: patch 14, config image size 518 (37² position embeddings), layerscale, mlp_ratio 4.
    shrunk = {key: value for key, value in SHRUNK.items() if key != "intermediate_size"}
    return Dinov2Model(Dinov2Config(image_size=518, patch_size=14, mlp_ratio=4, layerscale_value=1.0, **shrunk))


BUILDERS = {"clip": clip_model, "siglip": siglip_model, "dinov2": dinov2_model}


def write_encoder_checkpoint(family: str, folder: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    model = BUILDERS[family]()
    # Random init leaves some parameters at exact constants (layerscale ones, zero biases): jitter every one so a
    # weight the exporter dropped or misplaced shows in the outputs.
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSORS[family], indent=1))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--family", choices=FAMILIES, action="append")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    for family in args.family or FAMILIES:
        print(write_encoder_checkpoint(family, args.out / family, args.seed))


if __name__ == "__main__":
    main()
