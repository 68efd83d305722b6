"""PyTorch side of `npm run bench:encode`'s end-to-end figure: the demo images through the training code's pipeline
(tools/florence-vl-mini) with the same weights: PNG decode and preprocessing, the vision tower, each of the three
prompts through the encoder once (its breadth features and the cache its answer decodes from), the training code's
greedy task answers (common.generate_task), DBFusion and the training code's greedy question answers
(pipeline.answer_questions, batched by prompt length), in batches of --batch images. Prints one JSON object.

Run with Debian's /usr/bin/python3; OPENBLAS_NUM_THREADS=1 and torch threads = --threads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "florence-vl-mini"))
from common import MAX_NEW, TASKS, generate_task, pixel_values, prompt_ids  # noqa: E402
from encode_torch import load  # noqa: E402
from pipeline import Chat, answer_questions  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


@torch.no_grad()
def encode_batch(model, vl, tok, chat, files, questions):
    px = pixel_values([Image.open(f) for f in files])
    V, _ = model.vision(px)
    n = V.shape[1]
    breadth, answers = [], {}
    for task in TASKS:
        prompt = prompt_ids(tok, task)
        x, mask = model.encoder_inputs(V, torch.tensor([prompt] * V.shape[0]))
        h, _ = model.encode(x, mask)
        breadth.append(h[:, :n])
        answers[task] = generate_task(model, V, prompt, MAX_NEW[task], encoded=(h, mask))
    fused = torch.cat([V, *breadth], dim=-1)
    rows = fused.repeat(len(questions), 1, 1)
    answers["questions"] = answer_questions(vl, chat, rows, [q for q in questions for _ in files], torch.device("cpu"),
                                            return_ids=True)
    return answers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--tokenizer", type=Path, required=True)
    ap.add_argument("--images", type=Path, required=True)
    ap.add_argument("--question", action="append", required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg, model, vl = load(args.weights)
    tok = Tokenizer.load(args.tokenizer)
    chat = Chat(tok, cfg.n_image_tokens)
    files = sorted(args.images.glob("*.png"))
    encode_batch(model, vl, tok, chat, files[: args.batch], args.question)  # warm-up
    started = time.perf_counter()
    tokens = 0
    for i in range(0, len(files), args.batch):
        answers = encode_batch(model, vl, tok, chat, files[i:i + args.batch], args.question)
        tokens += sum(len(ids) for per_image in answers.values() for ids in per_image)
    seconds = time.perf_counter() - started
    print(json.dumps({"torch_version": torch.__version__, "threads": args.threads, "images": len(files),
                      "seconds": seconds, "images_per_s": len(files) / seconds, "tokens": tokens}))


if __name__ == "__main__":
    main()
