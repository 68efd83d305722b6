"""Shared helpers for Florence-VL-mini training, evaluation and export (thread setup, data, generation)."""

from __future__ import annotations

import hashlib
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread pool only (torch's); must precede numpy

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from scenes import IMAGE_SIZE, PROMPTS, region_target  # noqa: E402
from tokenizer import BOS_ID, EOS_ID, PAD_ID  # noqa: E402

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)
TASKS = ("<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>")
TASK_NAMES = {"<DETAILED_CAPTION>": "caption", "<OCR>": "ocr", "<DENSE_REGION_CAPTION>": "region"}
DECODER_START_ID = EOS_ID  # Florence-2/BART: decoder_start_token_id = 2, then forced BOS 0
MAX_NEW = {"<DETAILED_CAPTION>": 64, "<OCR>": 12, "<DENSE_REGION_CAPTION>": 40}

# Chat template of the language model; <image> is replaced by the projected visual tokens.
CHAT_TEMPLATE = "<|user|>\n<image>\n{question}<|end|>\n<|assistant|>\n"
CAPTION_QUESTION = "Describe the image."


def setup_torch(device: str = "auto") -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cpu":
        torch.set_num_threads(2)
    else:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return dev


def leave_group() -> None:
    """Ends a data-parallel rank's process once every rank is done, without tearing the gloo group down. Under
    torch 1.13 the teardown (destroy_process_group, or the DDP reducer dropping the group's last reference as the
    rank's function returns) deadlocked in about one two-rank run in fifteen: the main thread holds the GIL and
    waits for the group's work mutex while a worker thread holds that mutex and waits for the GIL to free a finished
    collective's tensor. After the barrier no rank needs another, so the process exits without running destructors."""
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def pixel_values(images) -> torch.Tensor:
    """PIL RGB images (already IMAGE_SIZE square) -> normalised [B, 3, H, W] float32 (Florence-2 preprocessing)."""
    arr = np.stack([np.asarray(im.convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), 3) if im.size != (IMAGE_SIZE, IMAGE_SIZE)
                               else im.convert("RGB"), dtype=np.float32) for im in images])
    arr = arr * np.float32(1 / 255)
    arr = (arr - np.array(IMAGE_MEAN, np.float32)) / np.array(IMAGE_STD, np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 3, 1, 2)))


def task_target(scene, task: str) -> str:
    if task == "<DETAILED_CAPTION>":
        return scene.caption
    if task == "<OCR>":
        return scene.ocr
    return region_target(scene)


def prompt_ids(tok, task: str) -> list[int]:
    return tok.encode(PROMPTS[task])  # <s> prompt </s>, like Florence-2's processor


def pad(seqs, value=PAD_ID):
    n = max(len(s) for s in seqs)
    return torch.tensor([list(s) + [value] * (n - len(s)) for s in seqs], dtype=torch.long)


@torch.no_grad()
def generate_task(model, V, prompt: list[int], max_new: int, encoded=None):
    """Greedy decoding with KV cache (decoder start 2, forced BOS 0, stop at 2). Returns id lists and the
    cross-attention of every generated token (list per layer of [B, heads, T, S]). `encoded`: the prompt's
    encoder pass (h, mask) when the caller already ran it (for its breadth features)."""
    B = V.shape[0]
    dev = V.device
    if encoded is None:
        p = torch.tensor([prompt] * B, dtype=torch.long, device=dev)
        x, mask = model.encoder_inputs(V, p)
        h, _ = model.encode(x, mask)
    else:
        h, mask = encoded
    cur = torch.full((B, 1), DECODER_START_ID, dtype=torch.long, device=dev)
    past = None
    out = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    for t in range(max_new):
        logits, past, _, _ = model.decode(model.embed_tokens(cur), h, mask, past)
        nxt = logits[:, -1].argmax(-1)
        if t == 0:
            nxt = torch.full_like(nxt, BOS_ID)
        nxt = torch.where(done, torch.full_like(nxt, PAD_ID), nxt)
        for b in range(B):
            if not done[b]:
                out[b].append(int(nxt[b]))
        done = done | (nxt == EOS_ID)
        if bool(done.all()):
            break
        cur = nxt[:, None]
    return out
