"""README.md of the exported contrastive miniature, written from its training.json."""

from __future__ import annotations


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _retrieval_table(retrieval: dict) -> str:
    rows = ["| split | images | distinct captions | image→caption R@1 | R@5 | caption→image R@1 | R@5 |",
            "|---|---|---|---|---|---|---|"]
    for split, r in retrieval.items():
        rows.append(f"| {split} | {r['n']} | {r['distinct_captions']} | {r['image_to_caption_r@1']:.3f} | "
                    f"{r['image_to_caption_r@5']:.3f} | {r['caption_to_image_r@1']:.3f} | "
                    f"{r['caption_to_image_r@5']:.3f} |")
    return "\n".join(rows)


def _schedule(s: dict) -> str:
    if s["cooldown"] == 0:
        return f"warm-up {s['warmup']} steps, cosine to 5%"
    return (f"warm-up {s['warmup']} steps and a cosine over {s['steps']} steps, stopped after {s['stop']}, then a "
            f"linear cool-down to 5% of the peak over {s['cooldown']} steps")


def readme_text(t: dict) -> str:
    s, p = t["settings"], t["parameters"]
    steps = s["stop"] + s["cooldown"]
    quick = "" if t["preset"] == "full" else (
        f"\n**This is the `{t['preset']}` preset ({steps} steps), not the full run**: the numbers below are its own.\n")
    return f"""# Contrastive miniature (CLIP-style, Florence-VL-mini's vision tower)

The comparison encoder of the demo: Florence-VL-mini's image tower trained **contrastively** instead of generatively,
at the same size, on the same synthetic scenes, with the same CPU budget, so that the dashboard can put a
Florence-style and a CLIP-style encoder side by side (the paper's Fig. 4 in miniature). Like the mini it is a toy:
coloured shapes and single words on 192×192 images.
{quick}
## What it is
| part | here |
|---|---|
| image tower | Florence-VL-mini's `VisionEncoder` (`tools/florence-vl-mini/model.py`, same class and config): DaViT-like, 4 stages, dims [32, 64, 128, 128], grids [48, 24, 12, 12], 2-D position embedding, pooled (spatial-mean) token first, projection + LayerNorm → 145 × 128; {p['vision']} parameters |
| text tower | token + learned position embedding, {s['config']['text']['layers']} pre-LN transformer layers (d={s['config']['text']['hidden']}, {s['config']['text']['heads']} heads, FFN {s['config']['text']['ffn']}, key-padding mask), final LayerNorm, pooled at `</s>`; Florence-VL-mini's tokenizer; {p['text']} parameters |
| heads | `visual_projection` and `text_projection` (linear 128 → {s['config']['projection_dim']}, no bias), learned temperature (init 0.07, final {t['temperature']}) |
| objective | CLIP's symmetric InfoNCE over the batch (image→caption and caption→image cross-entropy, L2-normalised embeddings) |

Exported (CLIP / onnx-community layout): `onnx/vision_model.onnx` with `pixel_values` [B,3,192,192] →
`last_hidden_state` [B,145,128] (token 0 = the pooled token, CLIP's class-token slot; then the 12×12 patches
row-major) and `pooler_output` [B,128] = token 0, the embedding **before** the contrastive projection (as CLIP's
`pooler_output` is; the projection only serves the loss, and token 0 lives in the same space as the patch tokens
that Lens's views use). `config.json` is a CLIPConfig (`model_type` `clip`; `vision_config` hidden 128, image 192,
patch 16 = 192 / 12: the tower is not a ViT, the patch size only names the grid); `preprocessor_config.json` is
Florence-VL-mini's preprocessing (resize to 192×192 bicubic, no crop, 1/255, ImageNet mean/std).
`pytorch/clip-mini.pt` holds both towers, the projections and the temperature.

## How it was trained
One command, CPU, fixed seed ({s['seed']}), 2 cores: `{t['command']}` (`--smoke --out DIR` for tests).
{steps} steps × batch {s['batch']} fresh training scenes ({steps * s['batch']} images, train split from index
{s['first_scene']:,}, so none of Florence-VL-mini's training scenes; each seen once), each with its ground-truth
caption. AdamW lr {s['lr']} ({_schedule(s)}), betas (0.9, 0.98), weight decay
{s['weight_decay']} on weight matrices, gradient clipping 1.0; {s['world']} data-parallel single-threaded rank(s)
(gloo) with half of each batch, every rank gathering all embeddings so that the loss is the full batch's.
- Training {_minutes(t['train_seconds'])} wall, {_minutes(t['train_cpu_seconds'])} CPU (both ranks); evaluation and export
  {t['eval_seconds']} s; in all {_minutes(t['wall_seconds'])} wall, {_minutes(t['cpu_seconds'])} CPU, on the 2-core machine
  shared with other jobs: its 1-minute load average during training was {t['load_average_during_training']['mean']}
  on average (max {t['load_average_during_training']['max']}; 2.0 would be the two ranks alone).
- Parameters: vision {p['vision']:,}, text {p['text']:,}, projections and temperature {p['projections']:,}, total
  {p['total']:,} (Florence-VL-mini's vision side: 907,648). Size on disk: {t['bytes'] / 1e6:.2f} MB (this folder, without README/training.json).

## Held-out retrieval
Image↔caption retrieval among the first scenes of the held-out test split and of the compositional split (held-out
colour-shape pairs). Captions repeat (a one-object scene without text has few variants), so a hit counts against
every item with the same caption text: image→caption ranks the distinct captions, caption→image the images.
Chance R@1 is about 1 / the number of distinct captions ({1 / t['retrieval']['test']['distinct_captions']:.3f} on the test split).

{_retrieval_table(t['retrieval'])}

`training.json` has every setting, time, figure and the sha256 of every file.
"""
