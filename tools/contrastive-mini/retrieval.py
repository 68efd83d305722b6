"""Held-out image<->caption retrieval of the contrastive miniature (R@1, R@5 in both directions).

    /usr/bin/python3 tools/contrastive-mini/retrieval.py --model models/contrastive-mini [--split test] [--n 500]

prints the figures of an exported folder (its pytorch/clip-mini.pt) as JSON; train.py writes the same into the
folder's training.json and README.

The synthetic scenes repeat captions (a one-object scene without text has 6 colours x 5 shapes x 9 positions), so a
hit is counted against every item with the *same caption text*, not only the item's own index: image->caption
asks whether the image's caption string is among the k most similar distinct captions; caption->image asks whether
any image with that caption is among the k most similar images. Ranking ties are broken by index.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch

from clip_mini import ClipMini, caption_ids
from common import pixel_values


@torch.no_grad()
def embed(model: ClipMini, tok, scenes, batch: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """L2-normalised image and caption embeddings [N, D] of a list of scenes (eval mode, CPU)."""
    model.eval()
    imgs, txts = [], []
    for i in range(0, len(scenes), batch):
        part = scenes[i : i + batch]
        imgs.append(model.image_embeds(pixel_values([s.image for s in part])))
        txts.append(model.text_embeds(caption_ids(tok, [s.caption for s in part], model.cfg.text.max_positions)))
    return torch.cat(imgs).numpy(), torch.cat(txts).numpy()


def _hit_at(order: np.ndarray, correct: np.ndarray, ks: tuple[int, ...]) -> dict[int, float]:
    """order [Q, C] candidate indices best first; correct [Q, C] bool. Share of queries with a correct one in top k."""
    ranked = np.take_along_axis(correct, order, axis=1)
    return {k: float(ranked[:, :k].any(axis=1).mean()) for k in ks}


def recall(image_emb: np.ndarray, text_emb: np.ndarray, captions: list[str], ks=(1, 5)) -> dict[str, float]:
    """R@k image->caption (over the distinct captions) and caption->image (over the images), duplicate-aware."""
    if len(captions) != len(image_emb) or len(captions) != len(text_emb):
        raise ValueError(f"{len(image_emb)} images, {len(text_emb)} captions and {len(captions)} caption strings")
    distinct = sorted(set(captions))
    index = {c: i for i, c in enumerate(distinct)}
    cap_of = np.array([index[c] for c in captions])
    # one text embedding per distinct caption (identical strings embed identically; take the first)
    first = np.array([captions.index(c) for c in distinct])
    sim_i2t = image_emb @ text_emb[first].T  # [N, U]
    correct_i2t = cap_of[:, None] == np.arange(len(distinct))[None, :]
    sim_t2i = text_emb @ image_emb.T  # [N, N]
    correct_t2i = cap_of[:, None] == cap_of[None, :]
    i2t = _hit_at(np.argsort(-sim_i2t, axis=1, kind="stable"), correct_i2t, ks)
    t2i = _hit_at(np.argsort(-sim_t2i, axis=1, kind="stable"), correct_t2i, ks)
    out = {"n": len(captions), "distinct_captions": len(distinct)}
    for k in ks:
        out[f"image_to_caption_r@{k}"] = round(i2t[k], 4)
        out[f"caption_to_image_r@{k}"] = round(t2i[k], 4)
    return out


def evaluate(model: ClipMini, tok, scenes) -> dict[str, float]:
    image_emb, text_emb = embed(model, tok, scenes)
    return recall(image_emb, text_emb, [s.caption for s in scenes])


def main(argv=None) -> None:
    from clip_mini import TOKENIZER
    from export_clip import load_weights
    from scenes import dataset
    from tokenizer import Tokenizer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--split", default="test", choices=("test", "compositional"))
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    result = evaluate(load_weights(args.model), Tokenizer.load(TOKENIZER), dataset(args.split, args.n))
    print(json.dumps({"split": args.split, **result}))


if __name__ == "__main__":
    main()
