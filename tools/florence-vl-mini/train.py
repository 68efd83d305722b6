#!/usr/bin/python3
"""Train Florence-VL-mini end to end and export it (one command).

    /usr/bin/python3 tools/florence-vl-mini/train.py                    # full run -> models/florence-vl-mini
    /usr/bin/python3 tools/florence-vl-mini/train.py --smoke --out DIR  # a few steps, full export + references

Phases (each is cached in --work and skipped when its result exists with the same settings, so an
interrupted run resumes; a fresh --work reproduces everything from scratch):
  1. tokenizer     byte-level BPE on the scene corpus
  2. stage 1       Florence-2 part (vision tower, encoder, decoder) on <DETAILED_CAPTION>, <OCR>,
                   <DENSE_REGION_CAPTION> for every image of every batch (teacher forcing), plus an
                   auxiliary text-cell loss (letters per cell of V's grid) that is strong early and weak
                   later, one cosine schedule; on CPU two data-parallel single-threaded ranks;
                   then a short refinement on new scenes, the three tasks alone, with a warm restart
                   at a lower learning rate
  3. eval 1        greedy generation on the test and compositional splits
  4. features      frozen V and V'caption/V'ocr/V'region for the stage-2 images
  5. stage 2       projector + LM on QA and captions, vision frozen: the exported full fusion, and the
                   ablation at fewer steps (full; V only; without caption / ocr / region), with QA
                   evaluation and the alignment loss
  6. export        ONNX graphs, tokenizer, configs, fvl.json, README, stock copy, parity fixtures
All randomness is seeded; data are pure functions of (split, index). On CPU, 2 threads.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # 2 threads on a shared 2-core box: do not spin

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from common import (TASKS, DECODER_START_ID, leave_group, lr_at, pad, pixel_values, prompt_ids,  # noqa: E402
                    setup_torch, sha256, task_target)
from model import Florence2, FVLConfig, count_params  # noqa: E402
from scenes import IMAGE_SIZE, corpus_texts, make_scene  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402

REPO = HERE.parent.parent
T0 = time.time()

# Step counts are fixed (not wall-clock budgets) so that the CPU command is reproducible.  They were
# sized from measured rates on the project's 2-core machine (see README): stage 1 ~1.85 s/step (batch 64 over two
# single-threaded ranks), stage 2 ~0.7 s/step (batch 32, two single-threaded jobs side by side); ~113 min in all.
PRESETS = {
    "full": dict(
        seed=0, bpe_vocab=4000,
        stage1_steps=2400, batch1=64, lr1=1e-3, warmup1=100, loc_sigma=4.0,
        cells_w=1.0, cells_w_end=0.1, cells_hold=0.3, refine_steps=300, lr1_refine=3e-4, warmup1_refine=20,
        stage2_images=6000, stage2_steps=1400, ablation_steps=400, batch2=32, lr2=1.5e-3, warmup2=25,
        align_steps=300, align_batch=64, align_train_images=2000,
        n_test=500, n_comp=500, n_fixtures=8,
    ),
    "smoke": dict(
        seed=0, bpe_vocab=4000,
        stage1_steps=3, batch1=4, lr1=1.5e-3, warmup1=1, loc_sigma=4.0,
        cells_w=1.0, cells_w_end=0.1, cells_hold=0.3, refine_steps=2, lr1_refine=3e-4, warmup1_refine=1,
        stage2_images=8, stage2_steps=3, ablation_steps=2, batch2=4, lr2=1e-3, warmup2=1,
        align_steps=2, align_batch=4, align_train_images=8,
        n_test=4, n_comp=2, n_fixtures=2,
    ),
}


def log(msg: str) -> None:
    print(f"[{time.time() - T0:8.1f}s] {msg}", flush=True)


# ----------------------------------------------------------------------------- phase 1: tokenizer


def phase_tokenizer(work: Path, P: dict) -> Tokenizer:
    """BPE on the scene corpus, cached with the corpus and vocabulary size it was trained on (a tokenizer.json that
    another corpus left in a reused --work folder is retrained, not silently taken)."""
    path, stamp = work / "tokenizer.json", work / "tokenizer-settings.json"
    corpus = corpus_texts()
    settings = {"bpe_vocab": P["bpe_vocab"], "corpus_sha256": hashlib.sha256("\n".join(corpus).encode()).hexdigest()}
    if not (path.exists() and stamp.exists() and json.loads(stamp.read_text()) == {**settings, "sha256": sha256(path)}):
        tok = train_bpe(corpus, P["bpe_vocab"])
        tok.save(path)
        stamp.write_text(json.dumps({**settings, "sha256": sha256(path)}))
        log(f"tokenizer: {tok.vocab_size} ids ({len(tok.vocab)} BPE + {len(tok.added_tokens)} added)")
    return Tokenizer.load(path)


def make_config(tok: Tokenizer) -> FVLConfig:
    return FVLConfig(vocab_size=tok.vocab_size, loc_offset=tok.token_to_id("<loc_0>"), enc_layers=2, dec_layers=2, llm_layers=2)


# ----------------------------------------------------------------------------- phase 2: stage 1


def task_batch(tok, scenes, task, dev):
    """Teacher-forcing decoder inputs and labels of one task for a list of scenes."""
    labels = [tok.encode(task_target(s, task)) for s in scenes]  # <s> ... </s>
    dec_in = [[DECODER_START_ID] + lab[:-1] for lab in labels]
    return pad(dec_in).to(dev), pad(labels, -100).to(dev)


LETTERS = "abcdefghijklmnopqrstuvwxyz"
CELL_OVERLAP = 4  # pixels a letter must cover inside a cell, in both directions, to count as in that cell


def text_cell_targets(scenes, grid: int) -> torch.Tensor:
    """[B, grid*grid, 27] targets of the auxiliary text-cell loss: which letters a-z lie in each cell of the
    last grid (row-major, like V's tokens), and whether the cell holds any text at all."""
    cell = IMAGE_SIZE // grid
    out = np.zeros((len(scenes), grid, grid, len(LETTERS) + 1), np.float32)
    for b, scene in enumerate(scenes):
        for letter, (x1, y1, x2, y2) in zip(scene.text or "", scene.letter_boxes):
            rows = [r for r in range(grid) if min(y2, (r + 1) * cell) - max(y1, r * cell) >= CELL_OVERLAP]
            cols = [c for c in range(grid) if min(x2, (c + 1) * cell) - max(x1, c * cell) >= CELL_OVERLAP]
            for r in rows:
                for c in cols:
                    out[b, r, c, LETTERS.index(letter)] = out[b, r, c, -1] = 1.0
    return torch.from_numpy(out.reshape(len(scenes), grid * grid, -1))


def cells_weight(P: dict, step: int) -> float:
    """Weight of the text-cell loss: cells_w for the first cells_hold of stage 1, then a linear ramp over a fifth
    of it down to cells_w_end (reading is bootstrapped early; objects get the tower back afterwards)."""
    t = (step / P["stage1_steps"] - P["cells_hold"]) / 0.2
    return P["cells_w"] + (P["cells_w_end"] - P["cells_w"]) * min(max(t, 0.0), 1.0)


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


class Stage1Objective(torch.nn.Module):
    """Stage-1 losses of a batch as a module call (so DistributedDataParallel can wrap it): the vision tower once,
    then the encoder and decoder for each of the three tasks with teacher forcing, and the auxiliary text-cell
    loss of a linear head on V's grid tokens (training only; not part of the exported model).

    Without the auxiliary loss the encoder-decoder did not learn to read in this budget: the tower drops the text
    while it learns the objects (a linear probe finds text presence in the trained V at 0.56-0.63, chance 0.5), so
    the decoders' cross-attention has nothing to find and OCR stays at 0."""

    def __init__(self, model: Florence2, prompts: dict, gauss: torch.Tensor):
        super().__init__()
        self.model, self.prompts, self.gauss = model, prompts, gauss
        self.text_head = torch.nn.Linear(model.cfg.d_model, len(LETTERS) + 1)

    def forward(self, px, batches, cells):
        m = self.model
        V, _ = m.vision(px)
        cell_loss = F.binary_cross_entropy_with_logits(self.text_head(V[:, 1:]), cells, reduction="none")
        losses = []
        for task, (dec_in, labels) in zip(TASKS, batches):
            x, mask = m.encoder_inputs(V, self.prompts[task].expand(V.shape[0], -1))
            h, _ = m.encode(x, mask)
            logits, _, _, _ = m.decode(m.embed_tokens(dec_in), h, mask)
            losses.append(seq_loss(logits, labels, m.cfg.loc_offset, self.gauss))
        return losses + [cell_loss.sum(-1).mean()]


def stage1_world(dev) -> int:
    """Data-parallel ranks for stage 1: on CPU two single-threaded processes (about 1.8x the throughput of one
    process with two threads on the 2-core machine); one process on a GPU."""
    return 2 if dev.type == "cpu" and (os.cpu_count() or 1) >= 2 else 1


STAGE1_PHASES = {  # name -> (result file, the phase it starts from)
    "main": ("stage1.pt", None),
    "refine": ("stage1-refined.pt", "main"),
}


def stage1_schedule(P: dict, phase: str) -> dict:
    """Steps, peak learning rate, warm-up and first training scene of a stage-1 phase.  "main" trains from scratch
    with the text-cell loss; "refine" continues from it on the three tasks alone, on scenes "main" never saw, with a
    warm restart at a lower peak (measured: caption exact 0.77 -> 0.84, region label accuracy 0.89 -> 0.94)."""
    if phase == "main":
        return dict(steps=P["stage1_steps"], lr=P["lr1"], warmup=P["warmup1"], first_scene=0)
    return dict(steps=P["refine_steps"], lr=P["lr1_refine"], warmup=P["warmup1_refine"],
                first_scene=P["stage1_steps"] * P["batch1"])


def stage1_settings(P: dict, cfg: FVLConfig, world: int, tok_path: Path, phase: str) -> dict:
    settings = {k: P[k] for k in ("seed", "stage1_steps", "batch1", "lr1", "warmup1", "loc_sigma", "cells_w",
                                  "cells_w_end", "cells_hold")}
    settings["config"] = cfg.to_dict()
    settings["world"] = world
    settings["tokenizer_sha256"] = sha256(tok_path)
    if phase == "refine":
        settings.update({k: P[k] for k in ("refine_steps", "lr1_refine", "warmup1_refine")})
    return settings


def phase_stage1(work: Path, P: dict, tok: Tokenizer, cfg: FVLConfig, dev) -> Florence2:
    """Both stage-1 phases, each cached in its result file with its settings and training seconds."""
    world = stage1_world(dev)
    phases = list(STAGE1_PHASES)
    for i, phase in enumerate(phases):
        settings = stage1_settings(P, cfg, world, work / "tokenizer.json", phase)
        path = work / STAGE1_PHASES[phase][0]
        if path.exists() and torch.load(path, map_location="cpu")["settings"] == settings:
            log(f"stage 1 [{phase}]: loaded cached result")
            continue
        log(f"stage 1 [{phase}]: {count_params(Florence2(cfg))} parameters, {world} rank(s)")
        later = [work / STAGE1_PHASES[p][0] for p in phases[i + 1:]]
        for stale in [*later, work / "eval1.json", work / "times.json", *work.glob("features-*.pt"),
                      *work.glob("stage2-*")]:
            stale.unlink(missing_ok=True)  # later phases' caches were computed from another stage-1 model
        if world == 1:
            stage1_rank(0, 1, work, P, tok, cfg, str(dev), settings, phase)
        else:
            import socket

            import torch.multiprocessing as mp

            with socket.socket() as probe:  # a free port for the ranks' rendezvous
                probe.bind(("127.0.0.1", 0))
                os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(probe.getsockname()[1])
            mp.spawn(stage1_rank, args=(world, work, P, tok, cfg, "cpu", settings, phase), nprocs=world, join=True)
    model = Florence2(cfg).to(dev)
    model.load_state_dict(torch.load(work / STAGE1_PHASES["refine"][0], map_location=dev)["model"])
    return model


def stage1_rank(rank: int, world: int, work: Path, P: dict, tok: Tokenizer, cfg: FVLConfig, device: str,
                settings: dict, phase: str) -> None:
    """One data-parallel rank of a stage-1 phase: every step, rank r trains on its share of the step's scenes;
    gradients are averaged across ranks. Rank 0 logs and writes checkpoints (every 200 steps) and the result. With
    more than one rank this is the rank's whole process and ends it."""
    dev = torch.device(device)
    parent = os.getppid()  # the training command; a rank stops when it is gone instead of running on as an orphan
    if world > 1:
        import torch.distributed as dist

        torch.set_num_threads(1)
        dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(P["seed"])
    model = Florence2(cfg).to(dev)
    result, start_from = STAGE1_PHASES[phase]
    if start_from:
        model.load_state_dict(torch.load(work / STAGE1_PHASES[start_from][0], map_location=dev)["model"])
    sched = stage1_schedule(P, phase)
    prompts = {t: torch.tensor([prompt_ids(tok, t)], device=dev) for t in TASKS}
    objective = Stage1Objective(model, prompts, gaussian_table(P["loc_sigma"], dev)).to(dev)
    opt = torch.optim.AdamW(objective.parameters(), lr=sched["lr"], betas=(0.9, 0.98), weight_decay=0.01)
    start, seconds, ckpt = 0, 0.0, work / result.replace(".pt", "-ckpt.pt")
    if ckpt.exists():
        state = torch.load(ckpt, map_location=dev)
        if state["settings"] == settings:
            objective.load_state_dict(state["objective"])
            opt.load_state_dict(state["opt"])
            start, seconds = state["step"], state["seconds"]
            if rank == 0:
                log(f"stage 1 [{phase}]: resuming at step {start}")
    net = objective
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    B, steps = P["batch1"], sched["steps"]
    share = B // world
    t_start = t_last = time.time()
    hist = []
    model.train()
    for step in range(start, steps):
        if world > 1 and os.getppid() != parent:
            raise SystemExit(f"stage 1 rank {rank}: the training command is gone; the last checkpoint is kept")
        scenes = [make_scene(sched["first_scene"] + step * B + rank * share + i, "train") for i in range(share)]
        px = pixel_values([s.image for s in scenes]).to(dev)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, sched["lr"], sched["warmup"])
        losses = net(px, [task_batch(tok, scenes, task, dev) for task in TASKS],
                     text_cell_targets(scenes, cfg.grids[-1]).to(dev))
        cells_w = cells_weight(P, step) if phase == "main" else 0.0
        opt.zero_grad(set_to_none=True)
        (sum(losses[:3]) + cells_w * losses[3]).backward()
        # a non-finite gradient (identical on every rank after the all-reduce) skips the step instead of
        # turning the weights into NaN
        if torch.isfinite(torch.nn.utils.clip_grad_norm_(objective.parameters(), 1.0)):
            opt.step()
        elif rank == 0:
            log(f"stage 1 [{phase}] step {step + 1}: non-finite gradient, step skipped")
        hist.append([float(v) for v in losses])
        if rank == 0 and ((step + 1) % 20 == 0 or step + 1 == steps):
            n = len(hist)
            avg = [sum(h[i] for h in hist) / n for i in range(4)]
            log(f"stage 1 [{phase}] step {step + 1}/{steps} loss caption {avg[0]:.4f} ocr {avg[1]:.4f} "
                f"region {avg[2]:.4f} text cells {avg[3]:.4f} (weight {cells_w:.2f}) "
                f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_last) / n:.2f} s/step")
            t_last, hist = time.time(), []
        if rank == 0 and (step + 1) % 200 == 0 and step + 1 < steps:
            torch.save({"settings": settings, "objective": objective.state_dict(), "opt": opt.state_dict(),
                        "step": step + 1, "seconds": seconds + time.time() - t_start}, ckpt)
    if rank == 0:
        torch.save({"settings": settings, "model": model.state_dict(), "seconds": seconds + time.time() - t_start},
                   work / result)
        ckpt.unlink(missing_ok=True)
    if world > 1:
        leave_group()


# ----------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="a few steps on a few images (CI)")
    ap.add_argument("--out", default=None, help="model folder (default models/florence-vl-mini; smoke: required)")
    ap.add_argument("--work", default=None, help="cache folder for phases (default /tmp/florence-vl-mini-work[-smoke])")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--fixtures", default=None, help="parity fixtures folder (full run default tests/fixtures/florence-vl-mini)")
    ap.add_argument("--stock", default=None, help="stock-layout copy (full run default tests/fixtures/florence-2-stock-mini)")
    args = ap.parse_args(argv)
    preset = "smoke" if args.smoke else "full"
    P = dict(PRESETS[preset])
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

    import pipeline  # later phases (eval, stage 2, export)

    pipeline.run_rest(args, P, preset, out, work, tok, cfg, model, dev, log, T0)


if __name__ == "__main__":
    main()
