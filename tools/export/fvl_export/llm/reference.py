"""transformers' answers for the parity tests: the checkpoint's language model as Phi3ForCausalLM / LlamaForCausalLM
(eager, fp32) on Florence-VL's prompt (tokenizer_image_token, visual tokens spliced at IMAGE_TOKEN_INDEX).

`python -m fvl_export.llm.reference --checkpoint CKPT --request request.json --out DIR` reads
  {"visual_tokens": "<file of float32 [577, H]>", "questions": [...], "captions": [...], "max_new_tokens": N,
   "num_beams": K}
and writes DIR/reference.json with ids, plus float32 files it names: the first question's prompt logits (last
position) and last hidden states (every position), the logits of every greedy step, the attention of every greedy
step's query to the visual positions, and each caption's last hidden states.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .chat import IMAGE_TOKEN_INDEX, chat_template, TEMPLATE_OF, tokenizer_image_token
from .spec import text_config
from .testing import load_reference_model


def _save(out: Path, name: str, array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array, dtype=np.float32)
    (out / name).write_bytes(array.tobytes())
    return {"file": name, "dims": list(array.shape)}


def _stop_ids(checkpoint: Path, config: dict) -> list[int]:
    generation = json.loads((checkpoint / "generation_config.json").read_text())
    eos = generation.get("eos_token_id", config.get("eos_token_id"))
    return [eos] if isinstance(eos, int) else list(eos)


def main() -> None:
    from transformers import AutoTokenizer, GenerationConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--request", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    request = json.loads(args.request.read_text())
    config = json.loads((args.checkpoint / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(str(args.checkpoint), config=text_config(config))
    model = load_reference_model(args.checkpoint)
    hidden = model.config.hidden_size
    visual = torch.from_numpy(np.fromfile(request["visual_tokens"], dtype=np.float32).reshape(-1, hidden))
    embed = model.get_input_embeddings()
    template = chat_template(TEMPLATE_OF[config["model_type"]])
    stops = _stop_ids(args.checkpoint, config)
    args.out.mkdir(parents=True, exist_ok=True)

    def prompt_embeds(question: str) -> tuple[list[int], torch.Tensor]:
        ids = tokenizer_image_token(template.replace("{question}", question), tokenizer)
        parts, start = [], 0
        for k, token in enumerate([*ids, IMAGE_TOKEN_INDEX]):
            if token == IMAGE_TOKEN_INDEX:
                parts.append(embed(torch.tensor(ids[start:k])))
                if k < len(ids):
                    parts.append(visual)
                start = k + 1
        return ids, torch.cat(parts)[None]

    def generate(embeds: torch.Tensor, beams: int, attentions: bool = False):
        settings = GenerationConfig(max_new_tokens=request["max_new_tokens"], do_sample=False, num_beams=beams,
                                    eos_token_id=stops, pad_token_id=stops[0], length_penalty=1.0)
        with torch.no_grad():
            out = model.generate(inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
                                 generation_config=settings, output_attentions=attentions, output_logits=attentions,
                                 return_dict_in_generate=True)
        ids = out.sequences[0].tolist()
        for k, token in enumerate(ids):
            if token in stops:
                ids = ids[:k + 1]
                break
        return ids, out

    result: dict = {"stop_ids": stops, "questions": []}
    for q, question in enumerate(request["questions"]):
        ids, embeds = prompt_embeds(question)
        greedy, out = generate(embeds, 1, attentions=q == 0)
        beam, _ = generate(embeds, request["num_beams"])
        entry = {"question": question, "prompt_ids": ids, "greedy": greedy, "beam": beam}
        if q == 0:
            with torch.no_grad():
                forward = model(inputs_embeds=embeds, output_hidden_states=True)
            image_at = ids.index(IMAGE_TOKEN_INDEX)
            # Every greedy step's last query row at the visual positions: [steps, layers, heads, visual tokens].
            rows = [[layer[0, :, -1, image_at:image_at + visual.shape[0]].numpy() for layer in step]
                    for step in out.attentions]
            entry.update(
                prompt_logits=_save(args.out, "prompt_logits.f32", forward.logits[0, -1].numpy()),
                prompt_hidden=_save(args.out, "prompt_hidden.f32", forward.hidden_states[-1][0].numpy()),
                step_logits=_save(args.out, "step_logits.f32", torch.cat(out.logits).numpy()),
                visual_attention=_save(args.out, "visual_attention.f32", np.array(rows)),
            )
        result["questions"].append(entry)
    result["captions"] = []
    for c, caption in enumerate(request["captions"]):
        ids = tokenizer(caption).input_ids
        with torch.no_grad():
            states = model.model(input_ids=torch.tensor([ids])).last_hidden_state[0].numpy()
        result["captions"].append({"caption": caption, "ids": ids, "hidden": _save(args.out, f"caption_{c}.f32",
                                                                                     states)})
    (args.out / "reference.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
