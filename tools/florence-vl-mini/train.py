#!/usr/bin/python3
"""Train Florence-VL-mini end to end and export it (one command).

    /usr/bin/python3 tools/florence-vl-mini/train.py                    # full run -> models/florence-vl-mini
    /usr/bin/python3 tools/florence-vl-mini/train.py --smoke --out DIR  # a few steps, full export + references

Phases (each is cached in --work and skipped when its result exists with the same settings, so an
interrupted run resumes; a fresh --work reproduces everything from scratch):
  1. tokenizer     byte-level BPE on the scene corpus
  2. stage 1       Florence-2 part (vision tower, encoder, decoder) on <DETAILED_CAPTION>, <OCR>,
                   <DENSE_REGION_CAPTION> for every image of every batch (teacher forcing); two cosine
                   cycles (stage1.pt, then a warm restart on fresh scenes: stage1b.pt, in pipeline.py)
  3. eval 1        greedy generation on the test and compositional splits
  4. features      frozen V and V'caption/V'ocr/V'region for the stage-2 images
  5. stage 2       projector + LM on QA and captions, vision frozen, for the full fusion and 4 ablations
                   (V only; without caption / ocr / region), QA evaluation and the alignment loss
  6. export        ONNX graphs, tokenizer, configs, fvl.json, README, stock copy, parity fixtures
All randomness is seeded; data are pure functions of (split, index). On CPU, 2 threads.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # 2 threads on a shared 2-core box: do not spin

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

from common import (TASKS, DECODER_START_ID, lr_at, pad, pixel_values, prompt_ids, setup_torch,  # noqa: E402
                    task_target)
from model import Florence2, FVLConfig, count_params  # noqa: E402
from scenes import corpus_texts, make_scene  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402

REPO = HERE.parent.parent
T0 = time.time()

# Step counts are fixed (not wall-clock budgets) so that the CPU command is reproducible.  They were
# sized from measured rates on the project's 2-core machine (see README): stage 1 ~1.0-2.0 s/step
# (batch 32, 2 threads, depending on what else runs), stage 2 ~0.5 s/step.
PRESETS = {
    "full": dict(
        seed=0, bpe_vocab=4000,
        stage1_steps=1500, batch1=32, lr1=6e-4, warmup1=100, loc_sigma=4.0,
        stage1b_steps=300, lr1b=4e-4, warmup1b=20,  # second cosine cycle (warm restart) on fresh scenes; 0 = off
        stage2_images=6000, stage2_steps=250, batch2=32, lr2=1.5e-3, warmup2=25,
        align_steps=300, align_batch=64, align_train_images=2000,
        n_test=200, n_comp=200, n_fixtures=8,
    ),
    "smoke": dict(
        seed=0, bpe_vocab=4000,
        stage1_steps=3, batch1=4, lr1=1.5e-3, warmup1=1, loc_sigma=4.0,
        stage1b_steps=2, lr1b=1e-3, warmup1b=1,
        stage2_images=8, stage2_steps=2, batch2=4, lr2=1e-3, warmup2=1,
        align_steps=2, align_batch=4, align_train_images=8,
        n_test=4, n_comp=2, n_fixtures=2,
    ),
}


def log(msg: str) -> None:
    print(f"[{time.time() - T0:8.1f}s] {msg}", flush=True)


# ----------------------------------------------------------------------------- phase 1: tokenizer


def phase_tokenizer(work: Path, P: dict) -> Tokenizer:
    path = work / "tokenizer.json"
    if not path.exists():
        tok = train_bpe(corpus_texts(), P["bpe_vocab"])
        tok.save(path)
        log(f"tokenizer: {tok.vocab_size} ids ({len(tok.vocab)} BPE + {len(tok.added_tokens)} added)")
    return Tokenizer.load(path)


def make_config(tok: Tokenizer) -> FVLConfig:
    return FVLConfig(vocab_size=tok.vocab_size, loc_offset=tok.token_to_id("<loc_0>"), enc_layers=2, dec_layers=2, llm_layers=2)


# ----------------------------------------------------------------------------- phase 2: stage 1


def task_batch(tok, scenes, task, dev):
    labels = [tok.encode(task_target(s, task)) for s in scenes]  # <s> ... </s>
    dec_in = [[DECODER_START_ID] + lab[:-1] for lab in labels]
    return pad(dec_in).to(dev), pad(labels, -100).to(dev)


def seq_loss(logits, labels, loc0: int, gauss: torch.Tensor):
    """Cross-entropy; for <loc_N> targets half of the mass is spread as a Gaussian over neighbouring bins."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    valid = labels != -100
    tgt = labels.clamp(min=0)
    hard = -logp.gather(-1, tgt[..., None])[..., 0]
    is_loc = valid & (tgt >= loc0) & (tgt < loc0 + 1000)
    loss = hard
    if bool(is_loc.any()):
        bins = (tgt[is_loc] - loc0)
        q = gauss[bins]  # [n, 1000]
        soft = -(q * logp[is_loc][:, loc0:loc0 + 1000]).sum(-1)
        loss = loss.clone()
        loss[is_loc] = 0.5 * hard[is_loc] + 0.5 * soft
    return (loss * valid).sum() / valid.sum().clamp(min=1)


def gaussian_table(sigma: float, dev) -> torch.Tensor:
    b = torch.arange(1000, dtype=torch.float32)
    g = torch.exp(-0.5 * ((b[None, :] - b[:, None]) / sigma) ** 2)
    return (g / g.sum(-1, keepdim=True)).to(dev)


def phase_stage1(work: Path, P: dict, tok: Tokenizer, cfg: FVLConfig, dev) -> Florence2:
    settings = {k: P[k] for k in ("seed", "stage1_steps", "batch1", "lr1", "warmup1", "loc_sigma")}
    settings["config"] = cfg.to_dict()
    torch.manual_seed(P["seed"])
    model = Florence2(cfg).to(dev)
    log(f"stage 1: {count_params(model)} parameters (vision {count_params(model.vision)})")
    train_cycle("stage 1", work / "stage1.pt", work / "stage1-ckpt.pt", settings, model, tok, dev, P,
                steps=P["stage1_steps"], lr=P["lr1"], warmup=P["warmup1"], scene_offset=0)
    return model


def train_cycle(name: str, final: Path, ckpt: Path, settings: dict, model: Florence2, tok: Tokenizer, dev, P: dict,
                steps: int, lr: float, warmup: int, scene_offset: int) -> None:
    """One cosine cycle of stage-1 training (fresh AdamW) on the training scenes from step `scene_offset` on:
    every image with all three tasks. `final` caches the result and `ckpt` (every 200 steps) lets an interrupted
    cycle resume; both are used only when their settings match."""
    if final.exists():
        state = torch.load(final, map_location=dev)
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            log(f"{name}: loaded cached result")
            return
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    start = 0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=dev)
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            start = state["step"]
            log(f"{name}: resuming at step {start}")
    prompts = {t: torch.tensor([prompt_ids(tok, t)], device=dev) for t in TASKS}
    gauss = gaussian_table(P["loc_sigma"], dev)
    B = P["batch1"]
    t_last, hist = time.time(), []
    model.train()
    for step in range(start, steps):
        scenes = [make_scene((scene_offset + step) * B + i, "train") for i in range(B)]
        px = pixel_values([s.image for s in scenes]).to(dev)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, warmup)
        V, _ = model.vision(px)
        losses = []
        for task in TASKS:
            x, mask = model.encoder_inputs(V, prompts[task].expand(B, -1))
            h, _ = model.encode(x, mask)
            dec_in, labels = task_batch(tok, scenes, task, dev)
            logits, _, _, _ = model.decode(model.embed_tokens(dec_in), h, mask)
            losses.append(seq_loss(logits, labels, model.cfg.loc_offset, gauss))
        loss = sum(losses)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        hist.append([float(v) for v in losses])
        if (step + 1) % 20 == 0 or step + 1 == steps:
            n = len(hist)
            avg = [sum(h[i] for h in hist) / n for i in range(3)]
            log(f"{name} step {step + 1}/{steps} loss caption {avg[0]:.4f} ocr {avg[1]:.4f} region {avg[2]:.4f} "
                f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_last) / n:.2f} s/step")
            t_last, hist = time.time(), []
        if (step + 1) % 200 == 0 and step + 1 < steps:
            torch.save({"settings": settings, "model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1}, ckpt)
    model.eval()
    torch.save({"settings": settings, "model": model.state_dict()}, final)
    if ckpt.exists():
        ckpt.unlink()


# ----------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="a few steps on a few images (CI)")
    ap.add_argument("--out", default=None, help="model folder (default models/florence-vl-mini; smoke: required)")
    ap.add_argument("--work", default=None, help="cache folder for phases (default /tmp/florence-vl-mini-work[-smoke])")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--fixtures", default=None, help="parity fixtures folder (full run default tests/fixtures/florence-vl-mini)")
    ap.add_argument("--stock", default=None, help="stock-layout copy (full run default tests/fixtures/florence-2-stock-mini)")
    ap.add_argument("--stage1b-steps", type=int, default=None, help="override the preset's second stage-1 cycle (experiments)")
    args = ap.parse_args(argv)
    preset = "smoke" if args.smoke else "full"
    P = dict(PRESETS[preset])
    if args.stage1b_steps is not None:
        P["stage1b_steps"] = args.stage1b_steps
    if args.smoke and not args.out:
        ap.error("--smoke needs --out")
    out = Path(args.out or REPO / "models" / "florence-vl-mini").resolve()
    work = Path(args.work or (out / ".work" if args.smoke else "/tmp/florence-vl-mini-work")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    dev = setup_torch(args.device)
    log(f"preset {preset}, device {dev}, torch {torch.__version__}, threads {torch.get_num_threads()}, work {work}")

    tok = phase_tokenizer(work, P)
    cfg = make_config(tok)
    model = phase_stage1(work, P, tok, cfg, dev)
    phase_times = {}

    import pipeline  # later phases (eval, stage 2, export)

    pipeline.run_rest(args, P, preset, out, work, tok, cfg, model, dev, log, T0)


if __name__ == "__main__":
    main()
