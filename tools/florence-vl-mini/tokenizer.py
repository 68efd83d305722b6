"""Byte-level BPE tokenizer with Hugging Face `tokenizers` (BART/GPT-2) semantics.

The TypeScript side loads the `tokenizer.json` written by `Tokenizer.save` with an HF-compatible
library, so encoding follows the HF pipeline step by step:

1. added tokens (all special, not normalized) are split out first, leftmost-longest;
2. each remaining segment is pre-tokenized with GPT-2's regex (ByteLevel, add_prefix_space=false);
3. every piece is mapped byte -> unicode with GPT-2's table and merged with BPE by merge rank;
4. RobertaProcessing wraps the sequence as `<s> ... </s>`.

Ids: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, then the 256 byte symbols, then one token per merge,
then the added tokens (Florence-2 task tokens, `<loc_0>`..`<loc_999>`, chat tokens).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3

TASK_TOKENS = (
    "<CAPTION>", "<DETAILED_CAPTION>", "<MORE_DETAILED_CAPTION>", "<OCR>", "<OCR_WITH_REGION>", "<OD>",
    "<DENSE_REGION_CAPTION>", "<REGION_PROPOSAL>", "<CAPTION_TO_PHRASE_GROUNDING>",
    "<OPEN_VOCABULARY_DETECTION>", "<REGION_TO_DESCRIPTION>", "<REGION_TO_OCR>",
)
LOC_TOKENS = tuple(f"<loc_{i}>" for i in range(1000))
CHAT_TOKENS = ("<|user|>", "<|assistant|>", "<|end|>", "<image>")
ADDED_TOKENS = TASK_TOKENS + LOC_TOKENS + CHAT_TOKENS

# GPT-2's pre-tokenization pattern, same alternation order.  Python's `re` has no \p{..}:
# \p{L} -> [^\W\d_] (unicode letters), \p{N} -> \d, [^\s\p{L}\p{N}] -> (?:[^\s\w]|_).
# Identical to HF for all ASCII text (everything this project encodes).
_PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def _pretokenize(text: str) -> list[str]:
    """Regex split, then each piece's UTF-8 bytes mapped to GPT-2 unicode symbols."""
    table = bytes_to_unicode()
    return ["".join(table[b] for b in piece.encode("utf-8")) for piece in _PRETOKENIZE.findall(text)]


def _apply_merge(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


@dataclass
class Tokenizer:
    vocab: dict[str, int]  # BPE model vocabulary (specials, bytes, merged tokens)
    merges: list[tuple[str, str]]  # in rank order
    added_tokens: tuple[str, ...] = ADDED_TOKENS  # ids follow the model vocabulary

    def __post_init__(self) -> None:
        self._ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._added = {tok: len(self.vocab) + i for i, tok in enumerate(self.added_tokens)}
        self._id_to_token = {i: t for t, i in self.vocab.items()} | {i: t for t, i in self._added.items()}
        self._special_ids = {self.vocab[t] for t in SPECIAL_TOKENS} | set(self._added.values())
        # Longest first, so the alternation is leftmost-longest like HF's added-token matcher.
        alternatives = sorted(SPECIAL_TOKENS + self.added_tokens, key=len, reverse=True)
        self._added_re = re.compile("(" + "|".join(re.escape(t) for t in alternatives) + ")")
        self._byte_decoder = {c: b for b, c in bytes_to_unicode().items()}
        self._cache: dict[str, list[int]] = {}

    # -- encoding -----------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Total number of ids, added tokens included (the embedding size)."""
        return len(self.vocab) + len(self.added_tokens)

    def token_to_id(self, token: str) -> int | None:
        return self._added.get(token, self.vocab.get(token))

    def id_to_token(self, index: int) -> str | None:
        return self._id_to_token.get(index)

    def _bpe(self, word: str) -> list[int]:
        """Merge the lowest-ranked adjacent pair until none applies (HF's BPE::merge_word order)."""
        if word in self._cache:
            return self._cache[word]
        symbols = tuple(word)
        while len(symbols) > 1:
            pairs = [(self._ranks.get(p, len(self._ranks)), p) for p in zip(symbols, symbols[1:])]
            rank, pair = min(pairs)
            if rank == len(self._ranks):
                break
            symbols = _apply_merge(symbols, pair)
        ids = [self.vocab[s] for s in symbols]
        self._cache[word] = ids
        return ids

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        ids: list[int] = []
        # re.split with a capturing group alternates plain text / added token.
        for i, segment in enumerate(self._added_re.split(text)):
            if i % 2 == 1:
                ids.append(self.token_to_id(segment))  # type: ignore[arg-type]
            else:
                for piece in _pretokenize(segment):
                    ids.extend(self._bpe(piece))
        return [BOS_ID] + ids + [EOS_ID] if add_special_tokens else ids

    # -- decoding -----------------------------------------------------------------------------

    def _decode_tokens(self, tokens: list[str]) -> str:
        # ByteLevel decoder: map symbols back to bytes; added tokens are plain ASCII symbols that
        # map to themselves, so they pass through unchanged.
        data = bytes(self._byte_decoder[c] for c in "".join(tokens))
        return data.decode("utf-8", errors="replace")

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        """HF decode; with skip_special_tokens every added token (loc tokens included) is dropped."""
        keep = [i for i in ids if not (skip_special_tokens and i in self._special_ids)]
        return self._decode_tokens([self._id_to_token[i] for i in keep])

    def decode_task(self, ids: list[int]) -> str:
        """Drop only `<s>`, `</s>`, `<pad>`; keep loc/task tokens for Florence-2 post-processing."""
        return self.decode([i for i in ids if i not in (BOS_ID, EOS_ID, PAD_ID)], skip_special_tokens=False)

    # -- serialisation ------------------------------------------------------------------------

    def to_json(self) -> dict:
        """A Hugging Face `tokenizer.json` (format version 1.0) equivalent to this tokenizer."""
        added = [(self.vocab[t], t) for t in SPECIAL_TOKENS] + [(i, t) for t, i in self._added.items()]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for i, t in added
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", EOS_ID], "cls": ["<s>", BOS_ID],
                               "trim_offsets": True, "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": False,
                "byte_fallback": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        model = data["model"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        vocab = dict(model["vocab"])
        added = tuple(t["content"] for t in sorted(data["added_tokens"], key=lambda t: t["id"])
                      if t["content"] not in vocab)
        return cls(vocab=vocab, merges=merges, added_tokens=added)  # type: ignore[arg-type]


def train_bpe(texts: list[str], vocab_size: int) -> Tokenizer:
    """Deterministic byte-level BPE.

    `vocab_size` bounds the BPE model vocabulary (4 specials + 256 bytes + merges); the added tokens
    come on top (see `Tokenizer.vocab_size`).  Training stops earlier once every pre-token of the
    corpus is a single token.  Ties in pair frequency go to the lexicographically smallest pair.
    """
    table = bytes_to_unicode()
    vocab = {t: i for i, t in enumerate(SPECIAL_TOKENS)}
    for b in range(256):
        vocab[table[b]] = len(vocab)

    # Added tokens never reach BPE, so they are cut out of the training text as well.
    added_re = re.compile("|".join(re.escape(t) for t in sorted(SPECIAL_TOKENS + ADDED_TOKENS, key=len, reverse=True)))
    words: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for segment in added_re.split(text):
            words.update(tuple(piece) for piece in _pretokenize(segment))

    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, freq in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += freq
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        # Two different merges can spell the same token ("a"+"bc", "ab"+"c"); it keeps one id.
        vocab.setdefault(best[0] + best[1], len(vocab))
        merged: Counter[tuple[str, ...]] = Counter()
        for word, freq in words.items():
            merged[_apply_merge(word, best) if len(word) > 1 else word] += freq
        words = merged
    return Tokenizer(vocab=vocab, merges=merges)
