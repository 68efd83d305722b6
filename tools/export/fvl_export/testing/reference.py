"""transformers' own outputs for the parity test (tests/integration/real-checkpoint-parity.test.ts).

Runs Florence2ForConditionalGeneration.from_pretrained on the native fixture (eager attention), on pixel values
the test computed with Lens's preprocessing, and writes raw little-endian arrays plus answers.json:
  V.f32 [577, d], stage_{i}.f32 [C, H, W]; per breadth mode (lens / florence-vl) and prompt:
  breadth.<mode>.<k>.f32 [577, d], prompt_attention.<mode>.<k>.f32 [layers, heads, L, S] (the prompt rows),
  fused.<mode>.f32 [577, 4d or H] (the Florence-VL projector read straight from its checkpoint's shard when
  --projector-from is given, else the raw concatenation); answers.json: per task and beam count the generated ids
  (after the decoder start token), the post-processed boxes (transformers' Florence2PostProcessor),
  the coordinates of every loc-token box labelled or not (allow_empty_phrase) and, for greedy,
  the teacher-forced cross-attention file cross.<task>.f32 [layers, heads, T, S].
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from torch import nn
from transformers import Florence2ForConditionalGeneration, PreTrainedTokenizerFast
from transformers.models.florence2.processing_florence2 import Florence2PostProcessor

from ..manifest import FLORENCE_VL_PROMPTS

TASK_PROMPTS = {p["task"]: p["text"] for p in FLORENCE_VL_PROMPTS}
TASK_PROMPTS["<OD>"] = "Locate the objects with category name in the image."
BOX_TASKS = {"<OD>", "<DENSE_REGION_CAPTION>"}


def save(out: Path, name: str, tensor: torch.Tensor) -> None:
    tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(out / f"{name}.f32")


def projector_from_checkpoint(folder: Path) -> nn.Sequential:
    """mlp3x_gelu from the checkpoint's own tensors (independent of the exporter's loader)."""
    index = json.loads((folder / "model.safetensors.index.json").read_text())["weight_map"]
    tensors = {}
    for name, file in index.items():
        if name.startswith("model.mm_projector."):
            with safe_open(str(folder / file), "pt") as handle:
                tensors[name[len("model.mm_projector.encoder_mlp."):]] = handle.get_tensor(name)
    first = nn.Linear(tensors["0.weight"].shape[1], tensors["0.weight"].shape[0])
    layers = [first, nn.GELU(), nn.Linear(1, 1), nn.GELU(), nn.Linear(1, 1)]
    for index_in_seq, prefix in ((0, "0."), (2, "1.1."), (4, "2.1.")):
        layers[index_in_seq].weight = nn.Parameter(tensors[prefix + "weight"])
        layers[index_in_seq].bias = nn.Parameter(tensors[prefix + "bias"])
    return nn.Sequential(*layers).eval()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--pixels", type=Path, required=True, help="float32 [3, size, size]")
    parser.add_argument("--image-width", type=int, required=True)
    parser.add_argument("--image-height", type=int, required=True)
    parser.add_argument("--projector-from", type=Path)
    parser.add_argument("--max-new-tokens", type=int, default=20)
    parser.add_argument("--tasks", default="<DETAILED_CAPTION>,<OCR>,<DENSE_REGION_CAPTION>,<OD>")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    model = Florence2ForConditionalGeneration.from_pretrained(args.model, attn_implementation="eager").eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(args.model / "tokenizer.json"), bos_token="<s>",
                                        eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    post = Florence2PostProcessor({"description_with_bboxes": {}, "pure_text": {}}, tokenizer)
    size = int(round((np.fromfile(args.pixels, "<f4").size / 3) ** 0.5))
    pixels = torch.from_numpy(np.fromfile(args.pixels, "<f4").reshape(1, 3, size, size))
    embed = model.get_input_embeddings()
    answers: dict = {"tasks": {}}
    with torch.no_grad():
        stages = []
        hooks = [blocks[-1].register_forward_hook(lambda _m, _i, out: stages.append(out))
                 for blocks in model.model.vision_tower.blocks]
        image = model.get_image_features(pixels).pooler_output  # [1, 577, d]
        for hook in hooks:
            hook.remove()
        save(args.out, "V", image[0])
        for i, stage in enumerate(stages):
            save(args.out, f"stage_{i + 1}", stage[0])
        projector = projector_from_checkpoint(args.projector_from) if args.projector_from else None
        tokens = image.shape[1]
        for mode in ("lens", "florence-vl"):
            parts = [image]
            for k, prompt in enumerate(FLORENCE_VL_PROMPTS):
                ids = prompt["token_ids"] if mode == "florence-vl" else tokenizer(prompt["text"])["input_ids"]
                inputs = torch.cat([image, embed(torch.tensor([ids]))], dim=1)
                encoded = model.get_encoder()(inputs_embeds=inputs, attention_mask=None, output_attentions=True)
                save(args.out, f"breadth.{mode}.{k}", encoded.last_hidden_state[0, :tokens])
                save(args.out, f"prompt_attention.{mode}.{k}",
                     torch.stack([a[0, :, tokens:, :] for a in encoded.attentions]))
                parts.append(encoded.last_hidden_state[:, :tokens])
            fused = torch.cat(parts, dim=-1)
            save(args.out, f"fused.{mode}", (projector(fused) if projector else fused)[0])
        for task in args.tasks.split(","):
            ids = tokenizer(TASK_PROMPTS[task])["input_ids"]
            inputs = torch.cat([image, embed(torch.tensor([ids]))], dim=1)
            mask = torch.ones(inputs.shape[:2], dtype=torch.long)
            encoded = model.get_encoder()(inputs_embeds=inputs, attention_mask=mask)
            answers["tasks"][task] = {}
            for beams in (1, 3):
                # transformers' generation loop (beam search, forced BOS/EOS, no-repeat n-grams) on its encoder's
                # output for [V; prompt embeddings].
                generated = model.generate(encoder_outputs=encoded, attention_mask=mask,
                                           max_new_tokens=args.max_new_tokens, num_beams=beams, do_sample=False,
                                           no_repeat_ngram_size=3)
                new_ids = generated[0].tolist()
                new_ids = new_ids[1:] if new_ids[:1] == [model.generation_config.decoder_start_token_id] else new_ids
                text = tokenizer.decode(new_ids, skip_special_tokens=False)
                entry = {"ids": new_ids, "text": text}
                if task in BOX_TASKS:
                    image_size = (args.image_width, args.image_height)
                    parsed = post.parse_description_with_bboxes_from_text_and_spans(text, image_size=image_size)
                    entry["boxes"] = [{"label": inst["cat_name"], "box": inst["bbox"]} for inst in parsed]
                    # Every run of >= 4 loc tokens, labelled or not: the coordinates of all boxes in order.
                    any_label = post.parse_description_with_bboxes_from_text_and_spans(
                        text, image_size=image_size, allow_empty_phrase=True)
                    entry["box_coordinates"] = [inst["bbox"] for inst in any_label]
                if beams == 1:
                    decoder_ids = torch.tensor([[model.generation_config.decoder_start_token_id, *new_ids[:-1]]])
                    out = model(inputs_embeds=inputs, attention_mask=mask, decoder_input_ids=decoder_ids,
                                output_attentions=True)
                    save(args.out, f"cross.{task}", torch.stack([a[0] for a in out.cross_attentions]))
                answers["tasks"][task][str(beams)] = entry
    answers["image_tokens"] = tokens
    (args.out / "answers.json").write_text(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
