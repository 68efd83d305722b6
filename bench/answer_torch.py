"""transformers side of `npm run bench:answer`: the exported checkpoint's language model as Phi3ForCausalLM (eager,
fp32, the same weights), the same Florence-VL prompt with the same visual tokens, greedy `generate` with its cache.
Prints one JSON object: median seconds for 1 and for N new tokens per round, and the tokens generated.

Run with tools/export/.venv/bin/python; torch threads = --threads, OPENBLAS_NUM_THREADS=1 (no oversubscription).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "export"))
from fvl_export.llm.chat import IMAGE_TOKEN_INDEX, TEMPLATE_OF, chat_template, tokenizer_image_token  # noqa: E402
from fvl_export.llm.spec import text_config  # noqa: E402
from fvl_export.llm.testing import load_reference_model  # noqa: E402


def main() -> None:
    from transformers import AutoTokenizer, GenerationConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--visual-tokens", type=Path, required=True)
    parser.add_argument("--question", required=True)
    parser.add_argument("--max-new-tokens", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = json.loads((args.checkpoint / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(str(args.checkpoint), config=text_config(config))
    model = load_reference_model(args.checkpoint)
    visual = torch.from_numpy(np.fromfile(args.visual_tokens, dtype=np.float32).reshape(-1, model.config.hidden_size))
    ids = tokenizer_image_token(chat_template(TEMPLATE_OF[config["model_type"]]).replace("{question}", args.question),
                                tokenizer)
    at = ids.index(IMAGE_TOKEN_INDEX)
    embed = model.get_input_embeddings()
    with torch.no_grad():
        embeds = torch.cat([embed(torch.tensor(ids[:at])), visual, embed(torch.tensor(ids[at + 1:]))])[None]
    generation = json.loads((args.checkpoint / "generation_config.json").read_text())
    stops = generation["eos_token_id"]
    mask = torch.ones(embeds.shape[:2], dtype=torch.long)

    def run(new_tokens: int) -> int:
        settings = GenerationConfig(max_new_tokens=new_tokens, do_sample=False, num_beams=1, eos_token_id=stops,
                                    pad_token_id=stops[0])
        with torch.no_grad():
            return model.generate(inputs_embeds=embeds, attention_mask=mask, generation_config=settings).shape[1]

    def seconds(new_tokens: int) -> tuple[float, int]:
        run(new_tokens)  # warm-up
        times, tokens = [], 0
        for _ in range(args.repeats):
            started = time.perf_counter()
            tokens = run(new_tokens)
            times.append(time.perf_counter() - started)
        return statistics.median(times), tokens

    rounds = []
    for _ in range(args.rounds):
        one, _ = seconds(1)
        many, tokens = seconds(args.max_new_tokens)
        rounds.append({"seconds_1": one, "seconds_n": many, "tokens": tokens})
    print(json.dumps({"torch_version": torch.__version__, "rounds": rounds}))


if __name__ == "__main__":
    main()
