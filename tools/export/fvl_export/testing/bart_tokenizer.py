"""A byte-level BPE tokenizer.json shaped like Florence-2's (BART's 50265 entries + 1024 <loc_N> and the task
tokens = 51289 ids) whose pieces for Lens's prompts sit at the real BART ids, so Florence-VL's fixed prompt ids
decode to its prompt texts. The real vocabulary cannot be downloaded here; every other id is a filler piece.
"""

from __future__ import annotations

import json

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

BART_VOCAB = 50265
# Florence-2's added tokens after BART's vocabulary, in their order.
ADDED = (["<od>", "</od>", "<ocr>", "</ocr>"] + [f"<loc_{i}>" for i in range(1000)] +
         ["<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>", "<seg>",
          "</seg>", "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>", "</region_to_desciption>",
          "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"])
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]
# Byte-level pieces (Ġ = a leading space) of Florence-VL's three prompts at the ids its code hard-codes.
FIXED_PIECES = {
    "Desc": 47066, "ribe": 21700, "Ġin": 11, "Ġdetail": 4617, "Ġwhat": 99, "Ġis": 16, "Ġshown": 2343,
    "Ġthe": 5, "Ġimage": 2274, ".": 4, "What": 2264, "Ġtext": 2788, "?": 116, "Loc": 574, "ate": 22486,
    "Ġobjects": 8720, ",": 6, "Ġwith": 19, "Ġtheir": 49, "Ġdescriptions": 24173,
}
# Pieces of the other task prompts Lens uses (any free id).
EXTRA_PIECES = ["Ġcategory", "Ġname", "Ġdoes", "Ġdescribe", "Ġparagraph", "Ġregion", "Ġproposals",
                "Ġa", "Ġlocate", "Ġphrases", "Ġcaption", "Ġregions"]


def build_tokenizer_json() -> str:
    vocab: dict[str, int] = {token: i for i, token in enumerate(SPECIAL)}
    vocab.update(FIXED_PIECES)
    used = set(vocab.values())
    free = (i for i in range(len(SPECIAL), BART_VOCAB) if i not in used)

    def add(piece: str) -> None:
        if piece not in vocab:
            vocab[piece] = next(free)

    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        add(char)
    merges: list[tuple[str, str]] = []
    # Longest pieces first: their merge chains outrank the shorter pieces' merges, so a shorter piece inside a
    # longer word (ri in descriptions) never breaks the longer word's chain.
    for piece in sorted([*FIXED_PIECES, *EXTRA_PIECES], key=len, reverse=True):
        for end in range(2, len(piece) + 1):
            pair = (piece[:end - 1], piece[end - 1])
            if pair not in merges:
                merges.append(pair)
            add(piece[:end])
    for i in free:
        vocab[f"Ġw{i}"] = i
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer.add_special_tokens(SPECIAL)
    tokenizer.add_special_tokens(ADDED)
    assert tokenizer.get_vocab_size() == BART_VOCAB + len(ADDED)
    return tokenizer.to_str()


TOKENIZER_CONFIG = {
    "tokenizer_class": "BartTokenizer", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
    "unk_token": "<unk>", "model_max_length": 1024, "add_prefix_space": False,
}


def tokenizer_files() -> dict[str, str]:
    return {"tokenizer.json": build_tokenizer_json(), "tokenizer_config.json": json.dumps(TOKENIZER_CONFIG, indent=1)}
