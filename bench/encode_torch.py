"""PyTorch side of `npm run bench:encode`: the same Florence-VL-mini weights, the same full encode (vision tower,
the three prompts through the encoder as one batch, DBFusion projector) at batch sizes 1 and 8, plus a GEMM peak
and the model's FLOP count. Prints one JSON object.

Run with Debian's /usr/bin/python3; OPENBLAS_NUM_THREADS=1 and torch threads = --threads (no oversubscription).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import fields
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "florence-vl-mini"))
from model import Florence2, FlorenceVL, FVLConfig  # noqa: E402
from scenes import PROMPTS  # noqa: E402
from tokenizer import PAD_ID, Tokenizer  # noqa: E402

TASKS = ("<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>")


def load(weights: Path):
    stage1 = torch.load(weights / "stage1.pt", map_location="cpu")
    known = {f.name for f in fields(FVLConfig)}
    cfg = FVLConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in stage1["settings"]["config"].items() if k in known})
    model = Florence2(cfg)
    model.load_state_dict(stage1["model"])
    vl = FlorenceVL(cfg, 4)
    vl.load_state_dict(torch.load(weights / "stage2-full.pt", map_location="cpu"))
    return cfg, model.eval(), vl.eval()


@torch.no_grad()
def full_encode(model, vl, tok, px):
    """V, the three prompts as one padded encoder batch per image, channel concatenation, projector."""
    V, _ = model.vision(px)
    B, n, d = V.shape
    prompts = [tok.encode(PROMPTS[t]) for t in TASKS]
    L = max(len(p) for p in prompts)
    ids = torch.tensor([p + [PAD_ID] * (L - len(p)) for p in prompts] * B)
    mask = torch.tensor([[1] * n + [1] * len(p) + [0] * (L - len(p)) for p in prompts] * B)
    x = torch.cat([V.repeat_interleave(len(TASKS), 0), model.embed_tokens(ids)], dim=1)
    h, _ = model.encode(x, mask)
    breadth = h[:, :n].reshape(B, len(TASKS), n, d)
    fused = torch.cat([V] + [breadth[:, k] for k in range(len(TASKS))], dim=-1)
    return vl.projector(fused)


def time_encode(model, vl, tok, images, batch, repeats):
    px = torch.from_numpy(np.stack([images[i % len(images)] for i in range(batch)]))
    full_encode(model, vl, tok, px)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        full_encode(model, vl, tok, px)
        times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def gemm_gflops(size=1024, repeats=10):
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * size**3 / statistics.median(times) / 1e9


@torch.no_grad()
def count_gflop(model, vl, tok, image):
    """FLOPs (2 x MACs) of one full encode: every Linear and Conv2d by hooks, attention products from shapes."""
    total = [0]

    def linear(m, inp, out):
        total[0] += 2 * out.numel() * m.in_features

    def conv(m, inp, out):
        total[0] += 2 * out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    hooks = [m.register_forward_hook(linear) for m in list(model.modules()) + list(vl.projector.modules()) if isinstance(m, nn.Linear)]
    hooks += [m.register_forward_hook(conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    orig_matmul = torch.matmul

    def counting_matmul(a, b, *args, **kwargs):
        out = orig_matmul(a, b, *args, **kwargs)
        total[0] += 2 * out.numel() * a.shape[-1]
        return out

    torch.matmul = counting_matmul
    try:
        full_encode(model, vl, tok, torch.from_numpy(image[None]))
    finally:
        torch.matmul = orig_matmul
        for h in hooks:
            h.remove()
    return total[0] / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--tokenizer", type=Path, required=True)
    ap.add_argument("--pixels", type=Path, required=True, help="raw float32 [N, 3, H, W] little-endian")
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    _, model, vl = load(args.weights)
    tok = Tokenizer.load(args.tokenizer)
    images = np.fromfile(args.pixels, dtype="<f4").reshape(-1, 3, args.size, args.size)
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": args.threads,
        "images_per_s": {str(b): time_encode(model, vl, tok, images, b, args.repeats) for b in (1, 8)},
        "gemm_gflops": gemm_gflops(),
        "model_gflop_per_image": count_gflop(model, vl, tok, images[0]),
    }))


if __name__ == "__main__":
    main()
