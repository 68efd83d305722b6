"""Phases 3-6 of train.py: stage-1 evaluation, feature cache, stage 2 (+ ablations, alignment), export."""

from __future__ import annotations

import json
import math
import random
import time

import torch
import torch.nn.functional as F

from common import (CAPTION_QUESTION, CHAT_TEMPLATE, MAX_NEW, TASKS, generate_task, lr_at, pixel_values,
                    prompt_ids)
from model import NEG, FlorenceVL, count_params
from scenes import all_questions, dataset
from tokenizer import BOS_ID, PAD_ID

FUSION_ORDER = ("V", "caption", "ocr", "region")  # V then breadth features in prompt order
VARIANTS = {  # name -> indices into FUSION_ORDER
    "full": (0, 1, 2, 3),
    "v_only": (0,),
    "no_caption": (0, 2, 3),
    "no_ocr": (0, 1, 3),
    "no_region": (0, 1, 2),
}
SHIPPED = "model"  # the stage-2 job whose weights are exported: the full fusion at stage2_steps
MAX_ANSWER = 8
TURN_BUCKET = 16  # stage-2 turns are padded to a multiple of this many tokens, one group per padded length


def stage2_jobs(P):
    """name -> (fused sources, steps): the shipped model, then every ablation variant at ablation_steps (with a
    "full" row of its own, so the variants are compared at equal steps)."""
    return {SHIPPED: (VARIANTS["full"], P["stage2_steps"]),
            **{name: (idx, P["ablation_steps"]) for name, idx in VARIANTS.items()}}


# ----------------------------------------------------------------------------- phase 3: stage-1 eval


@torch.no_grad()
def predict_stage1(model, tok, scenes, dev, batch=32):
    """Greedy generation of the three tasks; returns dict task -> list of decoded strings (loc tokens kept)."""
    out = {t: [] for t in TASKS}
    for i in range(0, len(scenes), batch):
        chunk = scenes[i:i + batch]
        V, _ = model.vision(pixel_values([s.image for s in chunk]).to(dev))
        for task in TASKS:
            ids = generate_task(model, V, prompt_ids(tok, task), MAX_NEW[task])
            out[task].extend(tok.decode_task(x).strip() if task == "<DENSE_REGION_CAPTION>" else tok.decode(x).strip()
                             for x in ids)
    return out


def phase_eval1(work, P, tok, model, dev, log, splits):
    path = work / "eval1.json"
    if path.exists():
        return json.loads(path.read_text())
    res = {}
    for split, scenes in splits.items():
        t = time.time()
        res[split] = predict_stage1(model, tok, scenes, dev)
        log(f"eval 1: {split} ({len(scenes)} images) in {time.time() - t:.0f}s")
    path.write_text(json.dumps(res))
    return res


# ----------------------------------------------------------------------------- phase 4: features


@torch.no_grad()
def fused_features(model, tok, px, dev):
    """[B, 145, 4, d]: V and the encoder's last hidden state at the image positions for each prompt."""
    V, _ = model.vision(px.to(dev))
    n = V.shape[1]
    feats = [V]
    for task in TASKS:
        p = torch.tensor([prompt_ids(tok, task)] * V.shape[0], device=dev)
        x, mask = model.encoder_inputs(V, p)
        h, _ = model.encode(x, mask)
        feats.append(h[:, :n])
    return torch.stack(feats, dim=2)


def phase_features(work, P, tok, model, dev, log, name, scenes, batch=64):
    path = work / f"features-{name}.pt"
    if path.exists():
        return torch.load(path)
    t = time.time()
    chunks = []
    for i in range(0, len(scenes), batch):
        chunks.append(fused_features(model, tok, pixel_values([s.image for s in scenes[i:i + batch]]), dev).cpu())
    feats = torch.cat(chunks)
    torch.save(feats, path)
    log(f"features: {name} {tuple(feats.shape)} in {time.time() - t:.0f}s")
    return feats


# ----------------------------------------------------------------------------- phase 5: stage 2


class Chat:
    """Chat template handling: ids = [<s>] + encode(template) with <image> expanded to n visual tokens."""

    def __init__(self, tok, n_visual):
        self.tok = tok
        self.n_visual = n_visual
        self.image_id = tok.token_to_id("<image>")
        self.end_id = tok.token_to_id("<|end|>")
        ids = self.prompt("Q?")
        k = ids.index(self.image_id)
        self.prefix_ids = ids[:k + 2]  # up to and including the "\n" after <image>
        self.image_index = k

    def prompt(self, question):
        return [BOS_ID] + self.tok.encode(CHAT_TEMPLATE.format(question=question), add_special_tokens=False)

    def with_visual_slots(self, ids):
        """ids with the <image> id expanded to n_visual PAD slots (lm_inputs puts the visual tokens there)."""
        k = self.image_index
        return ids[:k] + [PAD_ID] * self.n_visual + ids[k + 1:]

    def segment(self, question, answer):
        """Tokens after the prefix for one turn (question ... answer <|end|>) and how many are the answer."""
        ids = self.prompt(question)
        assert ids[:len(self.prefix_ids)] == self.prefix_ids, "chat template prefix must not depend on the question"
        q = ids[len(self.prefix_ids):]
        a = self.tok.encode(answer, add_special_tokens=False) + [self.end_id]
        return q + a, len(a)


def training_turns(scene, rng):
    """Stage 2's turns for one training image: every question about it (yes/no balanced with `rng`) and the caption."""
    return [(q.question, q.answer) for q in all_questions(scene, "train", rng)] + [(CAPTION_QUESTION, scene.caption)]


def build_batch(chat, turns, dev):
    """Stage-2 batch: per image (`turns`: its (question, answer) pairs) the shared prefix with its visual slots, and
    every turn as its own sequence that continues that prefix: identical to separate single-turn sequences, with the
    prefix computed once.  Turns are grouped by padded length (the caption does not pad the one-word answers).
    Returns the prefix ids [B, Lp] (visual slots = PAD) and per group: turn ids [N, Lt], the image of each turn [N],
    label ids (-100 = no loss) and loss weights (1 / answer length on a turn's answer tokens: every turn counts
    the same, so the one-word answers are not drowned by the caption's forty tokens)."""
    prefix = chat.with_visual_slots(chat.prefix_ids)
    by_length = {}
    for image, image_turns in enumerate(turns):
        for q, a in image_turns:
            toks, n_ans = chat.segment(q, a)
            # token t predicts t+1: the answer tokens are the last n_ans of the turn
            labels = [-100] * (len(toks) - n_ans - 1) + toks[len(toks) - n_ans:] + [-100]
            padded = -(-len(toks) // TURN_BUCKET) * TURN_BUCKET
            by_length.setdefault(padded, []).append((image, toks, labels, 1.0 / n_ans))
    groups = []
    for L, rows in sorted(by_length.items()):
        ids = torch.full((len(rows), L), PAD_ID, dtype=torch.long)
        labels = torch.full((len(rows), L), -100, dtype=torch.long)
        for r, (_, toks, lab, _) in enumerate(rows):
            ids[r, :len(toks)] = torch.tensor(toks)
            labels[r, :len(lab)] = torch.tensor(lab)
        weights = (labels != -100) * torch.tensor([w for *_, w in rows])[:, None]
        image = torch.tensor([r[0] for r in rows])
        groups.append((ids.to(dev), image.to(dev), labels.to(dev), weights.to(dev)))
    return torch.tensor([prefix] * len(turns), device=dev), groups


def turn_logits(vl, fused, prefix_ids, groups, chat):
    """Forward pass of a `build_batch` batch: the prefix once, then each group of turns on the prefix's keys and
    values.  Returns the logits, labels and weights of the labelled tokens."""
    dev, n_visual = prefix_ids.device, fused.shape[1]
    x = lm_inputs(vl, fused, prefix_ids, chat, n_visual)
    Lp = x.shape[1]
    positions = torch.arange(Lp, device=dev)
    causal = (positions[None, :] > positions[:, None]).float() * NEG
    _, past, _ = vl.lm(x, causal[None, None], positions[None])
    logits, labels, weights = [], [], []
    for ids, image, lab, w in groups:
        Lt = ids.shape[1]
        t = torch.arange(Lt, device=dev)
        mask = torch.cat([torch.zeros(Lt, Lp, device=dev), (t[None, :] > t[:, None]).float() * NEG], dim=1)
        kv = [(k[image], v[image]) for k, v in past]
        hidden, _, _ = vl.lm(vl.lm.embed_tokens(ids), mask[None, None], (Lp + t)[None], kv)
        sel = lab != -100
        logits.append(vl.lm.logits(hidden[sel]))
        labels.append(lab[sel])
        weights.append(w[sel])
    return torch.cat(logits), torch.cat(labels), torch.cat(weights)


def lm_inputs(vl, fused, ids, chat, n_visual):
    """Embed ids and put the projected visual tokens into the visual slots."""
    emb = vl.lm.embed_tokens(ids)
    vis = vl.projector(fused)
    k = chat.image_index
    return torch.cat([emb[:, :k], vis, emb[:, k + n_visual:]], dim=1)


def select(feats, idx):
    """[N, n, 4, d] -> channel concat of the chosen sources [N, n, len(idx)*d]."""
    f = feats[:, :, list(idx)]
    return f.reshape(f.shape[0], f.shape[1], -1)


def train_stage2(P, cfg, tok, chat, feats, scenes, idx, steps, dev, log, name):
    torch.manual_seed(P["seed"] + 1)
    vl = FlorenceVL(cfg, len(idx)).to(dev)
    opt = torch.optim.AdamW(vl.parameters(), lr=P["lr2"], betas=(0.9, 0.98), weight_decay=0.01)
    g = torch.Generator().manual_seed(P["seed"] + 2)
    rng = random.Random(P["seed"] + 4)
    N, B = feats.shape[0], P["batch2"]
    order = torch.randperm(N, generator=g)
    cursor, t_last, hist = 0, time.time(), []
    vl.train()
    for step in range(steps):
        if cursor + B > N:
            order, cursor = torch.randperm(N, generator=g), 0
        bidx = order[cursor:cursor + B].tolist()
        cursor += B
        for gr in opt.param_groups:
            gr["lr"] = lr_at(step, steps, P["lr2"], P["warmup2"])
        prefix_ids, groups = build_batch(chat, [training_turns(scenes[i], rng) for i in bidx], dev)
        logits, labels, weights = turn_logits(vl, select(feats[bidx], idx).to(dev), prefix_ids, groups, chat)
        loss = (F.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vl.parameters(), 1.0)
        opt.step()
        hist.append(float(loss))
        if (step + 1) % 25 == 0 or step + 1 == steps:
            log(f"stage 2 [{name}] step {step + 1}/{steps} loss {sum(hist) / len(hist):.4f} "
                f"{(time.time() - t_last) / len(hist):.2f} s/step")
            t_last, hist = time.time(), []
    vl.eval()
    return vl


@torch.no_grad()
def answer_questions(vl, chat, fused, questions, dev, max_new=MAX_ANSWER, return_ids=False):
    """Greedy answers (KV cache) for one question per row. fused [B, n, k*d]; questions list[str]."""
    B, n_visual = fused.shape[0], fused.shape[1]
    prompts = [chat.prompt(q) for q in questions]
    # left-aligned prompts of different lengths: run them one length group at a time
    outs = [None] * B
    groups = {}
    for i, p in enumerate(prompts):
        groups.setdefault(len(p), []).append(i)
    for _, rows in sorted(groups.items()):
        ids_v = torch.tensor([chat.with_visual_slots(prompts[i]) for i in rows], device=dev)
        x = lm_inputs(vl, fused[rows].to(dev), ids_v, chat, n_visual)
        am = torch.ones(x.shape[:2], dtype=torch.long, device=dev)
        logits, _, past, _ = vl.lm.run(x, am)
        res = [[] for _ in rows]
        done = torch.zeros(len(rows), dtype=torch.bool, device=dev)
        for _ in range(max_new):
            nxt = logits[:, -1].argmax(-1)
            for r in range(len(rows)):
                if not done[r]:
                    res[r].append(int(nxt[r]))
            done = done | (nxt == chat.end_id)
            if bool(done.all()):
                break
            am = torch.ones((len(rows), am.shape[1] + 1), dtype=torch.long, device=dev)
            logits, _, past, _ = vl.lm.run(vl.lm.embed_tokens(nxt[:, None]), am, past)
        for r, i in enumerate(rows):
            outs[i] = res[r]
    if return_ids:
        return outs
    return [chat.tok.decode([t for t in o if t != chat.end_id]).strip() for o in outs]


def qa_answers(vl, chat, feats, scenes, idx, dev, batch=64):
    """answers[i] = list of predicted answers for scenes[i].qa (same order)."""
    flat = [(i, q.question) for i, s in enumerate(scenes) for q in s.qa]
    preds = []
    for k in range(0, len(flat), batch):
        chunk = flat[k:k + batch]
        fused = select(feats[[i for i, _ in chunk]], idx)
        preds += answer_questions(vl, chat, fused, [q for _, q in chunk], dev)
    out = [[] for _ in scenes]
    for (i, _), p in zip(flat, preds):
        out[i].append(p)
    return out


# ----------------------------------------------------------------------------- alignment (paper Fig. 4/5)


@torch.no_grad()
def pooled_pairs(vl, chat, feats, scenes, idx, dev, batch=64):
    """Mean-pooled visual tokens (projector output) and mean-pooled LM last hidden states of the caption."""
    fv, ft = [], []
    for k in range(0, len(scenes), batch):
        fused = select(feats[k:k + batch], idx).to(dev)
        fv.append(vl.projector(fused).mean(1).cpu())
        caps = [[BOS_ID] + chat.tok.encode(s.caption, add_special_tokens=False) for s in scenes[k:k + batch]]
        L = max(len(c) for c in caps)
        ids = torch.tensor([c + [PAD_ID] * (L - len(c)) for c in caps], device=dev)
        am = (torch.arange(L, device=dev)[None] < torch.tensor([len(c) for c in caps], device=dev)[:, None]).long()
        _, hidden, _, _ = vl.lm.run(vl.lm.embed_tokens(ids), am)
        w = am[..., None].float()
        ft.append(((hidden * w).sum(1) / w.sum(1)).cpu())
    return torch.cat(fv), torch.cat(ft)


def alignment_loss(P, fv_train, ft_train, fv_test, ft_test):
    """Train a linear P on (pooled) visual features; InfoNCE (visual -> text) with identity targets, batch N.
    mean(P f_v) = P mean(f_v) for a linear P, so pooling first is exact."""
    torch.manual_seed(P["seed"] + 3)
    H = fv_train.shape[1]
    proj = torch.nn.Linear(H, ft_train.shape[1])
    opt = torch.optim.Adam(proj.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(P["seed"] + 4)
    N = P["align_batch"]
    ft_tr = F.normalize(ft_train, dim=-1)

    def loss_on(fv, ft):
        a = F.normalize(proj(fv), dim=-1)
        return F.cross_entropy(a @ ft.t(), torch.arange(fv.shape[0]))

    for _ in range(P["align_steps"]):
        b = torch.randperm(fv_train.shape[0], generator=g)[:N]
        loss = loss_on(fv_train[b], ft_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        ft_te = F.normalize(ft_test, dim=-1)
        losses = [float(loss_on(fv_test[k:k + N], ft_te[k:k + N])) for k in range(0, fv_test.shape[0] - N + 1, N)]
    return sum(losses) / len(losses)


def phase_stage2(work, P, cfg, tok, chat, feats, splits_scenes, dev, log, name):
    res_path, model_path = work / f"stage2-{name}.json", work / f"stage2-{name}.pt"
    idx, steps = stage2_jobs(P)[name]
    settings = {k: P[k] for k in ("seed", "stage2_images", "batch2", "lr2", "warmup2", "align_steps", "align_batch",
                                  "align_train_images")}
    settings.update(steps=steps, sources=[FUSION_ORDER[i] for i in idx])
    if res_path.exists() and model_path.exists():
        res = json.loads(res_path.read_text())
        if res.get("settings") == settings:
            vl = FlorenceVL(cfg, len(idx)).to(dev)
            vl.load_state_dict(torch.load(model_path, map_location=dev))
            vl.eval()
            return vl, res
    t = time.time()
    vl = train_stage2(P, cfg, tok, chat, feats["train"], splits_scenes["train"], idx, steps, dev, log, name)
    t_train = time.time() - t
    res = {"settings": settings, "train_seconds": round(t_train, 1), "params": count_params(vl)}
    for split in ("test", "compositional"):
        if split == "compositional" and name != SHIPPED:
            continue
        answers = qa_answers(vl, chat, feats[split], splits_scenes[split], idx, dev)
        res[f"answers_{split}"] = answers
    n_al = P["align_train_images"]
    fv_tr, ft_tr = pooled_pairs(vl, chat, feats["train"][:n_al], splits_scenes["train"][:n_al], idx, dev)
    fv_te, ft_te = pooled_pairs(vl, chat, feats["test"], splits_scenes["test"], idx, dev)
    res["alignment_loss"] = alignment_loss(P, fv_tr, ft_tr, fv_te, ft_te)
    res["alignment_batch"] = P["align_batch"]
    res["seconds"] = round(time.time() - t, 1)
    torch.save(vl.state_dict(), model_path)
    res_path.write_text(json.dumps(res))
    log(f"stage 2 [{name}]: trained in {t_train:.0f}s, alignment loss {res['alignment_loss']:.4f}")
    return vl, res


def stage2_splits(P):
    return {"train": dataset("train", P["stage2_images"]), "test": dataset("test", P["n_test"]),
            "compositional": dataset("compositional", P["n_comp"])}


def stage2_job_process(work, P, cfg, tok, name):
    """One stage-2 job in its own single-threaded process; its results land in the phase cache."""
    torch.set_num_threads(1)
    t0 = time.time()
    splits_scenes = stage2_splits(P)
    feats = {split: torch.load(work / f"features-{split}.pt") for split in splits_scenes}

    def log(msg):
        print(f"[stage-2 job {name} +{time.time() - t0:7.1f}s] {msg}", flush=True)

    phase_stage2(work, P, cfg, tok, Chat(tok, cfg.n_image_tokens), feats, splits_scenes, torch.device("cpu"), log,
                 name)


def train_jobs_in_parallel(work, P, cfg, tok, workers=2):
    """On CPU, the stage-2 jobs run as single-threaded processes side by side (the 2-core machine gets nearly twice
    the throughput of one two-threaded process); the longest, the shipped model, starts first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for future in [pool.submit(stage2_job_process, work, P, cfg, tok, name) for name in stage2_jobs(P)]:
            future.result()


# ----------------------------------------------------------------------------- orchestration


def run_rest(args, P, preset, out, work, tok, cfg, model, dev, log, T0):
    from metrics import Prediction, evaluate, evaluate_qa

    import export
    import train

    P = dict(train.PRESETS[preset])  # the settings file as it is on disk (identical to P for a fresh run)
    times_path = work / "times.json"
    times = json.loads(times_path.read_text()) if times_path.exists() else {}
    for phase, (result, _) in train.STAGE1_PHASES.items():  # training seconds are stored with each phase's result
        key = "stage1_seconds" if phase == "main" else f"stage1_{phase}_seconds"
        times.setdefault(key, round(torch.load(work / result, map_location="cpu")["seconds"], 1))
    times_path.write_text(json.dumps(times))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    splits_scenes = stage2_splits(P)
    splits = {split: splits_scenes[split] for split in ("test", "compositional")}
    t = time.time()
    eval1 = phase_eval1(work, P, tok, model, dev, log, splits)
    times.setdefault("eval1_seconds", round(time.time() - t, 1))

    t = time.time()
    feats = {split: phase_features(work, P, tok, model, dev, log, split, scenes) for split, scenes in splits_scenes.items()}
    times.setdefault("features_seconds", round(time.time() - t, 1))
    chat = Chat(tok, cfg.n_image_tokens)

    t = time.time()
    if dev.type == "cpu":
        train_jobs_in_parallel(work, P, cfg, tok)
    results, models = {}, {}
    for name in stage2_jobs(P):
        models[name], results[name] = phase_stage2(work, P, cfg, tok, chat, feats, splits_scenes, dev, log, name)
        times.setdefault(f"stage2_{name}_seconds", results[name]["seconds"])
    times.setdefault("stage2_seconds", round(time.time() - t, 1))  # wall time of all jobs
    times_path.write_text(json.dumps(times))

    metrics = {}
    for split, key in (("test", None), ("compositional", "compositional")):
        scenes = splits[split]
        e1 = eval1[split]
        preds = [Prediction(caption=e1["<DETAILED_CAPTION>"][i], ocr=e1["<OCR>"][i],
                            regions_text=e1["<DENSE_REGION_CAPTION>"][i], answers=results[SHIPPED][f"answers_{split}"][i])
                 for i in range(len(scenes))]
        m = evaluate(scenes, preds)
        if key is None:
            metrics.update(m)
        else:
            metrics["compositional"] = m
    ablation = {}
    for name in VARIANTS:
        acc, by_type = evaluate_qa(splits["test"], results[name]["answers_test"])
        ablation[name] = {"sources": results[name]["settings"]["sources"], "qa_acc": acc, "qa_acc_by_type": by_type,
                          "alignment_loss": results[name]["alignment_loss"]}
    ablation["_settings"] = {"alignment_batch": P["align_batch"], "ln_batch": math.log(P["align_batch"]),
                             "alignment_steps": P["align_steps"], "alignment_train_images": P["align_train_images"],
                             "test_images": P["n_test"], "steps": P["ablation_steps"]}
    log("metrics: " + json.dumps({k: v for k, v in metrics.items() if k != "compositional"}))
    log("ablation: " + json.dumps({k: (v["qa_acc"], v["alignment_loss"]) for k, v in ablation.items() if k[0] != "_"}))

    t = time.time()
    export.export_everything(args=args, P=P, preset=preset, out=out, work=work, tok=tok, cfg=cfg, model=model,
                             vl=models[SHIPPED], chat=chat, metrics=metrics, ablation=ablation, times=times,
                             splits=splits, eval1=eval1, feats=feats, dev=dev, log=log)
    log(f"export done in {time.time() - t:.0f}s; total {time.time() - T0:.0f}s")
