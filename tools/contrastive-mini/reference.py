#!/usr/bin/python3
"""PyTorch reference outputs of an exported contrastive miniature, for the ONNX parity test.

    /usr/bin/python3 tools/contrastive-mini/reference.py --model models/contrastive-mini --out DIR [--images 2]

Loads the folder's pytorch/clip-mini.pt, preprocesses the first demo scenes (demo/florence-vl-mini-scenes, the mini's
preprocessing) and writes pixel_values.bin, last_hidden_state.bin and pooler_output.bin (float32, little-endian,
row-major) with reference.json (dims and file names) to DIR.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import clip_mini  # noqa: E402, F401  (puts tools/florence-vl-mini on the path)
from common import pixel_values  # noqa: E402
from export_clip import load_weights  # noqa: E402

DEMO = HERE.parent.parent / "demo" / "florence-vl-mini-scenes"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--images", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    model = load_weights(args.model)
    files = sorted(DEMO.glob("*.png"))[: args.images]
    if len(files) < args.images:
        raise SystemExit(f"{DEMO} holds {len(files)} images, {args.images} asked for")
    px = pixel_values([Image.open(f) for f in files])
    with torch.no_grad():
        hidden, pooled = model.vision_outputs(px)
    args.out.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, t in (("pixel_values", px), ("last_hidden_state", hidden), ("pooler_output", pooled)):
        a = np.ascontiguousarray(t.numpy().astype("<f4"))
        (args.out / f"{name}.bin").write_bytes(a.tobytes())
        arrays[name] = {"file": f"{name}.bin", "dims": list(a.shape)}
    (args.out / "reference.json").write_text(json.dumps({"images": [f.name for f in files], "arrays": arrays}, indent=1))
    print(f"wrote {len(files)} reference case(s) to {args.out}")


if __name__ == "__main__":
    main()
