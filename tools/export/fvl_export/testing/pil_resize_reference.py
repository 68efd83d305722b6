"""Pillow's own resize, for tests/integration/encoder-export.test.ts's check of lib/engine/pil-resize.ts.

For each --case "WIDTHxHEIGHT:RESAMPLE", writes the RGB bytes of PIL.Image.open(--image).convert("RGB")
.resize((W, H), RESAMPLE) to <out>/<W>x<H>.<RESAMPLE>.rgb. Run
`python -m fvl_export.testing.pil_resize_reference --image A.png --case 300x17:3 --out DIR`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--case", action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with Image.open(args.image) as image:
        rgb = image.convert("RGB")
    for case in args.case:
        size, resample = case.split(":")
        width, height = (int(v) for v in size.split("x"))
        resized = np.asarray(rgb.resize((width, height), resample=int(resample)))
        (args.out / f"{width}x{height}.{resample}.rgb").write_bytes(resized.tobytes())


if __name__ == "__main__":
    main()
