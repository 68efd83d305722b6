"""transformers-eager side of bench/encode-real.ts: the same full encode (vision tower, the three prompts through
the encoder in one padded batch, channel concatenation) of the same checkpoint on the same pixels, timed per round.

usage: python bench/encode_real_torch.py CHECKPOINT PIXELS.f32 ROUNDS THREADS -> JSON {"seconds": [...]}
"""

import json
import sys
import time

import numpy as np
import torch
from transformers import Florence2ForConditionalGeneration, PreTrainedTokenizerFast

PROMPTS = ["Describe in detail what is shown in the image.", "What is the text in the image?",
           "Locate the objects in the image, with their descriptions."]


def main() -> None:
    checkpoint, pixel_file, rounds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = Florence2ForConditionalGeneration.from_pretrained(checkpoint, attn_implementation="eager").eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{checkpoint}/tokenizer.json")
    raw = np.fromfile(pixel_file, "<f4")
    size = int(round((raw.size / 3) ** 0.5))
    pixels = torch.from_numpy(raw.reshape(1, 3, size, size))
    ids = [tokenizer(p)["input_ids"] for p in PROMPTS]
    longest = max(len(row) for row in ids)
    embed = model.get_input_embeddings()

    def encode():
        image = model.get_image_features(pixels).pooler_output  # [1, 577, d]
        tokens = image.shape[1]
        rows, masks = [], []
        for row in ids:
            prompt = embed(torch.tensor([row]))
            pad = torch.zeros(1, longest - len(row), image.shape[2])
            rows.append(torch.cat([image, prompt, pad], dim=1))
            masks.append(torch.tensor([[1] * (tokens + len(row)) + [0] * (longest - len(row))]))
        hidden = model.get_encoder()(inputs_embeds=torch.cat(rows), attention_mask=torch.cat(masks)).last_hidden_state
        return torch.cat([image[0], *hidden[:, :tokens]], dim=-1)

    seconds = []
    with torch.no_grad():
        encode()  # warm-up
        for _ in range(rounds):
            started = time.perf_counter()
            encode()
            seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
