#!/usr/bin/python3
"""Train the contrastive miniature (CLIP-style, Florence-VL-mini's vision tower) and export it (one command).

    /usr/bin/python3 tools/contrastive-mini/train.py                   # full run -> models/contrastive-mini
    /usr/bin/python3 tools/contrastive-mini/train.py --preset quick    # a few minutes, same code path
    /usr/bin/python3 tools/contrastive-mini/train.py --smoke --out DIR # seconds (tests)

Symmetric InfoNCE with a learned temperature between the image tower (Florence-VL-mini's VisionEncoder, from
tools/florence-vl-mini/model.py) and a small text transformer, on fresh synthetic training scenes (scenes.py, train
split from index FIRST_SCENE on, each seen once) and their ground-truth captions (Florence-VL-mini's tokenizer).
Fixed seed, CPU. On two or more cores: two data-parallel single-threaded ranks (gloo) with half of each batch; every
rank gathers all embeddings, so the loss is the full batch's, as in one process (see `rank_loss`). A checkpoint
every 100 steps in --work lets an interrupted run resume. Then: held-out retrieval on the test and compositional
splits, export in the CLIP ONNX layout (export_clip.py), README and training.json with wall and CPU times.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # a shared 2-core box: do not spin

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from clip_mini import LOGIT_SCALE_MAX, TOKENIZER, ClipMini, ClipMiniConfig, TextConfig, caption_ids, contrastive_loss  # noqa: E402
from common import leave_group, lr_at, pixel_values, sha256  # noqa: E402
from retrieval import evaluate  # noqa: E402
from scenes import dataset, make_scene  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

REPO = HERE.parent.parent
T0 = time.time()
# Training scenes start here: none of Florence-VL-mini's training scenes (train indices below 200,000) is reused.
FIRST_SCENE = 1_000_000

# Fixed step counts (not wall-clock budgets) so that the command is reproducible. The learning rate follows a
# warm-up and a cosine over `steps`; training stops after `stop` steps of it and then cools down linearly to 5% of
# the peak over `cooldown` more steps (stop + cooldown steps in all). "full" was sized for about 1.9 s per step of
# 64 images over two single-threaded ranks on the idle 2-core machine (700 cosine steps in 25-30 minutes); under
# the session's load (load average 10-23, 5-14 s per step) it stops the cosine at 300 and cools down over 100.
PRESETS = {
    "full": dict(seed=0, steps=700, stop=300, cooldown=100, batch=64, lr=1e-3, warmup=50, weight_decay=0.05,
                 n_test=500, n_comp=500),
    "quick": dict(seed=0, steps=100, stop=100, cooldown=0, batch=64, lr=1e-3, warmup=20, weight_decay=0.05,
                  n_test=500, n_comp=500),
    "smoke": dict(seed=0, steps=3, stop=3, cooldown=0, batch=8, lr=1e-3, warmup=1, weight_decay=0.05, n_test=12,
                  n_comp=6),
}
CHECKPOINT_EVERY = 100


def log(msg: str) -> None:
    print(f"[{time.time() - T0:8.1f}s] {msg}", flush=True)


def make_config(tok: Tokenizer) -> ClipMiniConfig:
    return ClipMiniConfig(TextConfig(vocab_size=tok.vocab_size))


def world_size() -> int:
    """Two single-threaded ranks on two or more cores (about 1.6x one two-threaded process here), else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def rank_loss(image_embeds, text_embeds, logit_scale, world: int):
    """Symmetric InfoNCE over the whole step's batch from one rank's share. Each rank gathers every rank's
    embeddings (without gradient) and puts its own, with gradient, in its slot; the gradient of the full-batch loss
    is the sum over ranks of these partial gradients, and DDP averages them, so the loss to backpropagate is scaled
    by the world size. Returns (loss, loss to backpropagate)."""
    if world > 1:
        rank = dist.get_rank()
        gi = [torch.empty_like(image_embeds) for _ in range(world)]
        gt = [torch.empty_like(text_embeds) for _ in range(world)]
        dist.all_gather(gi, image_embeds.detach())
        dist.all_gather(gt, text_embeds.detach())
        gi[rank], gt[rank] = image_embeds, text_embeds
        image_embeds, text_embeds = torch.cat(gi), torch.cat(gt)
    loss = contrastive_loss(image_embeds, text_embeds, logit_scale)
    return loss, loss * world


def learning_rate(P: dict, step: int) -> float:
    """Warm-up and cosine over P["steps"] up to P["stop"], then a linear cool-down to 5% of the peak."""
    if step < P["stop"]:
        return lr_at(step, P["steps"], P["lr"], P["warmup"])
    start = lr_at(P["stop"], P["steps"], P["lr"], P["warmup"])
    t = (step - P["stop"] + 1) / P["cooldown"]
    return start + (0.05 * P["lr"] - start) * t


def total_steps(P: dict) -> int:
    return P["stop"] + P["cooldown"]


def ranks_cpu_seconds(since: float, world: int) -> float:
    """CPU seconds the ranks used since `since` (each rank's own process time), summed over the ranks."""
    t = torch.tensor([time.process_time() - since], dtype=torch.float64)
    if world > 1:
        dist.all_reduce(t)
    return float(t)


def optimizer(model: ClipMini, P: dict) -> torch.optim.Optimizer:
    """AdamW; no weight decay on biases, norms, embeddings of positions and the temperature."""
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos" not in n and "embed" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos" not in n and "embed" not in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": P["weight_decay"]}, {"params": rest, "weight_decay": 0.0}],
                             lr=P["lr"], betas=(0.9, 0.98), eps=1e-6)


def train_rank(rank: int, world: int, work: Path, P: dict, settings: dict) -> None:
    """One data-parallel rank: rank r takes scenes [r*share, (r+1)*share) of every step's batch. Rank 0 logs and
    writes the checkpoints and the result. With more than one rank this is the rank's whole process and ends it."""
    parent = os.getppid()
    if world > 1:
        torch.set_num_threads(1)
        dist.init_process_group("gloo", rank=rank, world_size=world)
    else:
        torch.set_num_threads(2)
    tok = Tokenizer.load(TOKENIZER)
    torch.manual_seed(P["seed"])
    model = ClipMini(make_config(tok))
    opt = optimizer(model, P)
    start, seconds, cpu, loads, ckpt = 0, 0.0, 0.0, [], work / "ckpt.pt"
    if ckpt.exists():
        state = torch.load(ckpt)
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            start, seconds, cpu = state["step"], state["seconds"], state["cpu_seconds"]
            loads = state.get("load_averages", [])
            if rank == 0:
                log(f"resuming at step {start}")
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    B, steps = P["batch"], total_steps(P)
    share = B // world
    t_start = t_last = time.time()
    cpu_start = time.process_time()
    hist = []
    model.train()
    for step in range(start, steps):
        if world > 1 and os.getppid() != parent:
            raise SystemExit(f"rank {rank}: the training command is gone; the last checkpoint is kept")
        first = FIRST_SCENE + step * B + rank * share
        scenes = [make_scene(first + i, "train") for i in range(share)]
        px = pixel_values([s.image for s in scenes])
        ids = caption_ids(tok, [s.caption for s in scenes], model.cfg.text.max_positions)
        for g in opt.param_groups:
            g["lr"] = learning_rate(P, step)
        loss, scaled = rank_loss(*net(px, ids), model.logit_scale, world)
        opt.zero_grad(set_to_none=True)
        scaled.backward()
        if torch.isfinite(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)):
            opt.step()
        elif rank == 0:
            log(f"step {step + 1}: non-finite gradient, step skipped")
        hist.append(float(loss))
        if rank == 0 and ((step + 1) % 20 == 0 or step + 1 == steps):
            log(f"step {step + 1}/{steps} loss {sum(hist) / len(hist):.4f} temperature "
                f"{1 / float(model.logit_scale.exp()):.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{(time.time() - t_last) / len(hist):.2f} s/step")
            t_last, hist = time.time(), []
            loads.append(os.getloadavg()[0])  # the machine's 1-minute load average, every 20 steps
        if (step + 1) % CHECKPOINT_EVERY == 0 and step + 1 < steps:
            used = cpu + ranks_cpu_seconds(cpu_start, world)  # every rank takes part in the sum
            if rank == 0:
                torch.save({"settings": settings, "model": model.state_dict(), "opt": opt.state_dict(),
                            "step": step + 1, "seconds": seconds + time.time() - t_start, "cpu_seconds": used,
                            "load_averages": loads}, ckpt)
    used = cpu + ranks_cpu_seconds(cpu_start, world)
    if rank == 0:
        torch.save({"settings": settings, "model": model.state_dict(), "seconds": seconds + time.time() - t_start,
                    "cpu_seconds": used, "load_averages": loads, "resumed_from": {"step": start, "seconds": seconds, "cpu_seconds": cpu}},
                   work / "model.pt")
        ckpt.unlink(missing_ok=True)
    if world > 1:
        leave_group()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the ranks)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def train(work: Path, P: dict, settings: dict) -> dict:
    """Runs (or resumes) training unless work/model.pt already holds this run; returns its checkpoint."""
    result = work / "model.pt"
    if result.exists() and torch.load(result)["settings"] == settings:
        log("training: loaded cached result")
        return torch.load(result)
    world = settings["world"]
    log(f"training: {total_steps(P)} steps x {P['batch']} scenes, {world} rank(s)")
    if world == 1:
        train_rank(0, 1, work, P, settings)
    else:
        import torch.multiprocessing as mp

        with socket.socket() as probe:  # a free port for the ranks' rendezvous
            probe.bind(("127.0.0.1", 0))
            os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(probe.getsockname()[1])
        mp.spawn(train_rank, args=(world, work, P, settings), nprocs=world, join=True)
    return torch.load(result)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--smoke", action="store_true", help="the smoke preset (seconds; needs --out)")
    ap.add_argument("--out", default=None, help="model folder (default models/contrastive-mini)")
    ap.add_argument("--work", default=None, help="checkpoint folder (default /tmp/contrastive-mini-work-<preset>)")
    args = ap.parse_args(argv)
    preset = "smoke" if args.smoke else args.preset
    if preset == "smoke" and not args.out:
        ap.error("--smoke needs --out")
    P = dict(PRESETS[preset])
    out = Path(args.out or REPO / "models" / "contrastive-mini").resolve()
    work = Path(args.work or f"/tmp/contrastive-mini-work-{preset}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    log(f"preset {preset}, torch {torch.__version__}, work {work}, out {out}")

    tok = Tokenizer.load(TOKENIZER)
    settings = {**P, "first_scene": FIRST_SCENE, "world": world_size(), "config": make_config(tok).to_dict(),
                "tokenizer_sha256": sha256(TOKENIZER)}
    state = train(work, P, settings)
    model = ClipMini(make_config(tok))
    model.load_state_dict(state["model"])
    model.eval()

    t = time.time()
    retrieval = {split: evaluate(model, tok, dataset(split, P[key])) for split, key in (("test", "n_test"),
                                                                                         ("compositional", "n_comp"))}
    eval_seconds = time.time() - t
    log(f"retrieval: {json.dumps(retrieval)}")

    import export_clip as X

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(X.hf_config(model), indent=1) + "\n")
    (out / "preprocessor_config.json").write_text(json.dumps(X.preprocessor_config(), indent=1) + "\n")
    X.export_onnx(model, out / X.ONNX_PATH)
    X.save_weights(model, out / X.WEIGHTS_PATH)
    graph = X.onnx_check(out / X.ONNX_PATH)
    files = X.files_manifest(out)
    training = {
        "command": "/usr/bin/python3 tools/contrastive-mini/train.py" + ("" if preset == "full" else f" --preset {preset}"),
        "preset": preset, "settings": settings,
        "parameters": {"vision": count(model.vision), "text": count(model.text),
                       "projections": count(model.visual_projection) + count(model.text_projection) + 1,
                       "total": count(model)},
        "temperature": round(1 / float(model.logit_scale.clamp(max=LOGIT_SCALE_MAX).exp()), 5),
        # training's wall and CPU seconds add up over resumed commands (checkpoints carry them); the totals are the
        # earlier commands' training plus the whole of this command
        "train_seconds": round(float(state["seconds"]), 1), "train_cpu_seconds": round(float(state["cpu_seconds"]), 1),
        "eval_seconds": round(eval_seconds, 1), "resumed_from": state["resumed_from"],
        "load_average_during_training": {"mean": round(sum(state["load_averages"]) / max(1, len(state["load_averages"])), 2),
                                         "max": round(max(state["load_averages"], default=0.0), 2),
                                         "samples": len(state["load_averages"])},
        "wall_seconds": round(state["resumed_from"]["seconds"] + time.time() - T0, 1),
        "cpu_seconds": round(state["resumed_from"]["cpu_seconds"] + cpu_seconds(), 1),
        "wall_seconds_this_command": round(time.time() - T0, 1),
        "retrieval": retrieval, "graph": graph, "files": files,
        "bytes": sum(f["bytes"] for f in files.values()),
    }
    (out / "training.json").write_text(json.dumps(training, indent=1, sort_keys=True) + "\n")
    from readme import readme_text

    (out / "README.md").write_text(readme_text(training))
    log(f"exported to {out}: {training['bytes'] / 1e6:.2f} MB, wall {training['wall_seconds']} s, "
        f"CPU {training['cpu_seconds']} s")


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


if __name__ == "__main__":
    main()
