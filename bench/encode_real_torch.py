"""transformers-eager side of bench/encode-real.ts: the same full encode (vision tower, the three prompts through
the encoder in one padded batch, channel concatenation) of the same checkpoint on the same pixels.

usage: python bench/encode_real_torch.py CHECKPOINT PIXELS.f32 THREADS
Loads the model, warms up, prints {"ready": true}; then for every line "round" on stdin runs one timed encode and
prints {"total_s", "vision_s", "encoder_s", "fusion_s"} (one JSON object per line), so the benchmark can alternate
Lens and transformers rounds while both models stay loaded. Ends at end of input.
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
    checkpoint, pixel_file, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    model = Florence2ForConditionalGeneration.from_pretrained(checkpoint, attn_implementation="eager").eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{checkpoint}/tokenizer.json")
    raw = np.fromfile(pixel_file, "<f4")
    size = int(round((raw.size / 3) ** 0.5))
    pixels = torch.from_numpy(raw.reshape(1, 3, size, size))
    ids = [tokenizer(p)["input_ids"] for p in PROMPTS]
    longest = max(len(row) for row in ids)
    embed = model.get_input_embeddings()

    def encode() -> dict:
        started = time.perf_counter()
        image = model.get_image_features(pixels).pooler_output  # [1, 577, d]
        vision_done = time.perf_counter()
        tokens = image.shape[1]
        rows, masks = [], []
        for row in ids:
            prompt = embed(torch.tensor([row]))
            pad = torch.zeros(1, longest - len(row), image.shape[2])
            rows.append(torch.cat([image, prompt, pad], dim=1))
            masks.append(torch.tensor([[1] * (tokens + len(row)) + [0] * (longest - len(row))]))
        hidden = model.get_encoder()(inputs_embeds=torch.cat(rows), attention_mask=torch.cat(masks)).last_hidden_state
        encoder_done = time.perf_counter()
        torch.cat([image[0], *hidden[:, :tokens]], dim=-1)
        done = time.perf_counter()
        return {"total_s": done - started, "vision_s": vision_done - started,
                "encoder_s": encoder_done - vision_done, "fusion_s": done - encoder_done}

    with torch.no_grad():
        encode()  # warm-up
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() == "round":
                print(json.dumps(encode()), flush=True)


if __name__ == "__main__":
    main()
