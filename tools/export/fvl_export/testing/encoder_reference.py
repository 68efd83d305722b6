"""transformers' own preprocessing and outputs for the comparison-encoder parity tests
(tests/integration/encoder-export.test.ts, test_fvl_export_encoders.py).

For each image file: the checkpoint's AutoImageProcessor on the PIL image (the processor class and backend it
resolved to are recorded), then the transformers model (CLIPVisionModel / SiglipVisionModel / Dinov2Model, eager
attention) on those pixel values. Writes raw little-endian float32 files per image i:
  pixel_values.<i>.f32 [3, H, W], last_hidden_state.<i>.f32 [T, D], pooler_output.<i>.f32 [D]
and reference.json {processor, backend, images: [{file, pixel_dims, hidden_dims, pooled_dims}]}.
Run `python -m fvl_export.testing.encoder_reference --model CKPT --image A.png [--image B.png] --out DIR`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from PIL import Image
from transformers import AutoImageProcessor

from ..encoders import encoder_family, model_class


def save(out: Path, name: str, tensor: torch.Tensor) -> list[int]:
    array = tensor.detach().to(torch.float32).contiguous().numpy()
    array.astype("<f4").tofile(out / f"{name}.f32")
    return list(array.shape)


def reference(model_dir: Path, images: list[Path], out: Path) -> dict:
    family = encoder_family(model_dir)
    if family is None:
        raise SystemExit(f"{model_dir} is not a CLIP, SigLIP or DINOv2 checkpoint")
    processor = AutoImageProcessor.from_pretrained(model_dir)
    model = model_class(family).from_pretrained(model_dir, attn_implementation="eager").eval()
    out.mkdir(parents=True, exist_ok=True)
    report = {"family": family, "processor": type(processor).__name__, "backend": processor.backend, "images": []}
    for index, file in enumerate(images):
        with Image.open(file) as image:
            pixels = processor(images=image, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            outputs = model(pixel_values=pixels)
        report["images"].append({
            "file": str(file),
            "pixel_dims": save(out, f"pixel_values.{index}", pixels[0]),
            "hidden_dims": save(out, f"last_hidden_state.{index}", outputs.last_hidden_state[0]),
            "pooled_dims": save(out, f"pooler_output.{index}", outputs.pooler_output[0]),
        })
    (out / "reference.json").write_text(json.dumps(report, indent=1))
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--image", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(json.dumps(reference(args.model, args.image, args.out)))


if __name__ == "__main__":
    main()
