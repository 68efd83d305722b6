"""Florence-VL's chat templates and prompt tokenization, as its training and evaluation code builds them.

The prompt is `conv.get_prompt()` of llava/conversation.py (`phi3` for llava_phi, `llama3` for llava_llama, the
`--version` of the fine-tuning scripts) with the question as `<image>\\n{question}`; llava/mm_utils.py's
`tokenizer_image_token` tokenizes the text around `<image>` chunk by chunk (each chunk with the tokenizer's special
tokens; when the first chunk starts with BOS, one BOS is kept and every later chunk loses its first token) and
puts IMAGE_TOKEN_INDEX (-200) where the image was; prepare_inputs_labels_for_multimodal replaces that index by the
projected visual tokens (577 with Florence-2's pooled token).
"""

from __future__ import annotations

IMAGE_PLACEHOLDER = "<image>"
IMAGE_TOKEN_INDEX = -200

TEMPLATES = {
    "phi3": {
        "system": "<|system|>\nYou are a helpful AI assistant.",
        "roles": ("\n<|user|>\n", "\n<|assistant|>\n"),
        "sep": "<|end|>",
        "stop_tokens": ["<|end|>", "<|endoftext|>", "<|assistant|>"],
    },
    "llama3": {
        "system": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nA chat between a curious user and "
        "an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the "
        "user's questions.",
        "roles": ("<|start_header_id|>user<|end_header_id|>\n\n", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
        "sep": "<|eot_id|>",
        "stop_tokens": ["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"],
    },
}
TEMPLATE_OF = {"llava_phi": "phi3", "llava_llama": "llama3"}
# Florence-VL's evaluation scripts decode greedily up to 128 new tokens.
MAX_NEW_TOKENS = 128


def chat_template(name: str) -> str:
    """SeparatorStyle.MPT: system + sep + user role + message + sep + assistant role (open for the answer)."""
    t = TEMPLATES[name]
    user, assistant = t["roles"]
    return f"{t['system']}{t['sep']}{user}{IMAGE_PLACEHOLDER}\n{{question}}{t['sep']}{assistant}"


def chunk_special_ids(tokenizer) -> tuple[list[int], list[int]]:
    """The ids `tokenizer(chunk).input_ids` puts before and after a chunk's own tokens (e.g. BOS)."""
    sample = "what is in the image"
    full = tokenizer(sample).input_ids
    plain = tokenizer(sample, add_special_tokens=False).input_ids
    for start in range(len(full) - len(plain) + 1):
        if full[start:start + len(plain)] == plain:
            return full[:start], full[start + len(plain):]
    raise ValueError("the tokenizer's special tokens do not wrap the text's own tokens; cannot derive the rule")


def tokenizer_image_token(prompt: str, tokenizer) -> list[int]:
    """The prompt's ids with IMAGE_TOKEN_INDEX for the image, the rule of llava/mm_utils.py."""
    chunks = [tokenizer(chunk).input_ids for chunk in prompt.split(IMAGE_PLACEHOLDER)]
    offset = 1 if chunks and chunks[0] and chunks[0][0] == tokenizer.bos_token_id else 0
    ids = chunks[0][:1] if offset else []
    for k, chunk in enumerate(chunks):
        if k > 0:
            ids.append(IMAGE_TOKEN_INDEX)
        ids.extend(chunk[offset:])
    return ids


def chat_fragments(config: dict, tokenizer, stop_ids: list[int], visual_tokens: int) -> tuple[str, dict]:
    """fvl.json's `chat_template` and `chat` for the checkpoint's model type."""
    name = TEMPLATE_OF[config["model_type"]]
    prefix, suffix = chunk_special_ids(tokenizer)
    stop_tokens = [t for t in TEMPLATES[name]["stop_tokens"] if tokenizer.convert_tokens_to_ids(t) is not None]
    chat = {
        "template": name,
        "image_token": IMAGE_PLACEHOLDER,
        "image_token_index": IMAGE_TOKEN_INDEX,
        "visual_tokens": visual_tokens,
        "visual_tokens_replace_image_token": True,
        "tokenization": "llava/mm_utils.py tokenizer_image_token: chunks around <image> tokenized separately",
        "chunk_prefix_ids": prefix,
        "chunk_suffix_ids": suffix,
        "bos_token_id": tokenizer.bos_token_id,
        "prepend_bos": bool(prefix),
        "end_token": TEMPLATES[name]["sep"],
        "stop_tokens": stop_tokens,
        "stop_token_ids": sorted(set(stop_ids) | {tokenizer.convert_tokens_to_ids(t) for t in stop_tokens}),
        "decoding": "greedy",
        "max_new_tokens": MAX_NEW_TOKENS,
        "max_length": config.get("tokenizer_model_max_length"),
    }
    return chat_template(name), chat
