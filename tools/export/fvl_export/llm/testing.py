"""Random-initialised, shrunk Florence-VL language models for tests and benchmarks (no download).

transformers builds Phi3ForCausalLM / LlamaForCausalLM from the published configs of Phi-3.5-mini-instruct and
Llama-3.1-8B-Instruct with only depth, width and vocabulary shrunk (same classes, RoPE type and code paths); the
weights are saved under Florence-VL's llava key names (model.embed_tokens, model.layers.*, model.norm, lm_head) in
a checkpoint folder whose config.json carries the llava_* model type and mm_* fields, with a small tokenizer.json
that has the chat template's special tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

# Phi-3.5-mini-instruct's config.json: LongRoPE with 48 short / long factors per rotary channel pair (head_dim 96).
PHI35_SHORT_FACTOR = [
    1.0, 1.02, 1.03, 1.03, 1.05, 1.05, 1.05, 1.05, 1.05, 1.07, 1.1, 1.11, 1.16, 1.16, 1.17, 1.29,
    1.34, 1.68, 1.79, 1.82, 1.85, 1.88, 1.91, 1.94, 1.99, 2.02, 2.02, 2.02, 2.02, 2.02, 2.02, 2.03,
    2.03, 2.03, 2.03, 2.03, 2.03, 2.03, 2.03, 2.03, 2.08, 2.09, 2.19, 2.22, 2.59, 2.73, 2.75, 2.84,
]
PHI35_LONG_FACTOR = [
    1.08, 1.11, 1.14, 1.34, 1.59, 1.6, 1.62, 2.62, 3.23, 3.23, 4.79, 7.4, 7.7, 9.09, 12.2, 17.67,
    24.46, 28.57, 30.42, 30.84, 32.59, 32.93, 42.32, 44.96, 50.34, 50.45, 57.55, 57.93, 58.21, 60.14, 62.61, 62.62,
    62.71, 63.14, 63.14, 63.77, 63.93, 63.96, 63.97, 64.03, 64.07, 64.08, 64.12, 64.41, 64.48, 64.51, 64.53, 64.84,
]

PHI35_MINI = {
    "model_type": "phi3", "architectures": ["Phi3ForCausalLM"], "hidden_size": 3072, "intermediate_size": 8192,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "hidden_act": "silu",
    "max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
    "rope_theta": 10000.0, "rope_scaling": {"type": "longrope", "short_factor": PHI35_SHORT_FACTOR,
                                            "long_factor": PHI35_LONG_FACTOR},
    "sliding_window": 262144, "vocab_size": 32064, "bos_token_id": 1, "eos_token_id": 32000, "pad_token_id": 32000,
    "tie_word_embeddings": False, "attention_bias": False, "attention_dropout": 0.0, "embd_pdrop": 0.0,
    "resid_pdrop": 0.0, "initializer_range": 0.02, "torch_dtype": "bfloat16", "use_cache": True,
}
LLAMA31_8B = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
    "hidden_act": "silu", "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "vocab_size": 128256, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
    "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "attention_dropout": 0.0,
    "initializer_range": 0.02, "pretraining_tp": 1, "torch_dtype": "bfloat16", "use_cache": True,
}

# Shrunk sizes: Phi keeps head_dim 96 (all 48 LongRoPE factors) and full multi-head attention; Llama keeps
# grouped-query attention at 4 query heads per key/value head.
SHRINK = {
    "phi3": {"hidden_size": 192, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 2,
             "num_key_value_heads": 2},
    "llama": {"hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 1, "head_dim": 64},
}

# Florence-VL's llava fields (LlavaPhiConfig / LlavaConfig), with the training scripts' choices.
LLAVA_FIELDS = {
    "mm_projector_type": "mlp3x_gelu", "mm_hidden_size": 1024, "mm_vision_select_layer": -2,
    "mm_vision_select_feature": "patch", "mm_use_im_start_end": False, "mm_use_im_patch_token": False,
    "mm_patch_merge_type": "flat", "image_aspect_ratio": "pad", "tokenizer_padding_side": "right",
    "tokenizer_model_max_length": 2048, "tune_mm_mlp_adapter": False, "freeze_mm_mlp_adapter": False,
    "use_mm_proj": True,
}

# Chat tokens of the real tokenizers (added tokens, special), in their order after the base vocabulary.
PHI3_ADDED = ["<|endoftext|>", "<|assistant|>", "<|placeholder1|>", "<|placeholder2|>", "<|placeholder3|>",
              "<|placeholder4|>", "<|system|>", "<|end|>", "<|placeholder5|>", "<|placeholder6|>", "<|user|>"]
LLAMA3_ADDED = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]

CORPUS_WORDS = (
    "a the image shows red blue green yellow circle square triangle star on of in with and is what colour "
    "shape how many objects are there left right top bottom text says describe detail picture small large "
    "you helpful assistant chat between curious user artificial intelligence gives polite answers questions"
).split()


def _corpus(lines: int = 400) -> list[str]:
    generator = torch.Generator().manual_seed(0)
    out = []
    for _ in range(lines):
        length = int(torch.randint(3, 12, (1,), generator=generator))
        idx = torch.randint(0, len(CORPUS_WORDS), (length,), generator=generator).tolist()
        out.append(" ".join(CORPUS_WORDS[i] for i in idx) + ("?" if length % 2 else "."))
    return out


def build_tokenizer(architecture: str, base_vocab: int):
    """A small BPE tokenizer in the style of the real one: Phi-3's sentencepiece-like BPE with byte fallback, or
    Llama 3's byte-level BPE; chat tokens as special added tokens right after `base_vocab`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    if architecture == "phi3":
        byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
        trainer = trainers.BpeTrainer(vocab_size=base_vocab - 256, special_tokens=["<unk>", "<s>", "</s>"],
                                      show_progress=False)
        draft = Tokenizer(models.BPE(unk_token="<unk>"))
        draft.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        draft.train_from_iterator(_corpus(), trainer)
        trained = json.loads(draft.to_str())["model"]
        vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, **{t: 3 + i for i, t in enumerate(byte_tokens)}}
        for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
            vocab.setdefault(token, len(vocab))
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
        tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True,
                                         fuse_unk=True))
        tokenizer.normalizer = draft.normalizer
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                               decoders.Strip(" ", 1, 0)])
        tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                                 special_tokens=[("<s>", 1)])
        tokenizer.add_special_tokens([AddedToken("<unk>", special=True), AddedToken("<s>", special=True),
                                      AddedToken("</s>", special=True)])
        added = PHI3_ADDED
    else:
        trainer = trainers.BpeTrainer(vocab_size=base_vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        tokenizer.train_from_iterator(_corpus(), trainer)
        added = LLAMA3_ADDED
    if tokenizer.get_vocab_size() > base_vocab:
        raise ValueError(f"trained vocabulary {tokenizer.get_vocab_size()} exceeds {base_vocab}")
    # Pad the base vocabulary so the chat tokens land right after it, as in the real tokenizers.
    filler = [f"<|filler_{i}|>" for i in range(base_vocab - tokenizer.get_vocab_size())]
    tokenizer.add_tokens(filler)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in added])
    if architecture == "llama":
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
            special_tokens=[("<|begin_of_text|>", base_vocab)])
    return tokenizer


def language_model_config(architecture: str, vocab_size: int) -> dict:
    base = PHI35_MINI if architecture == "phi3" else LLAMA31_8B
    config = {**base, **SHRINK[architecture], "vocab_size": vocab_size}
    return config


def build_language_model(architecture: str, vocab_size: int, token_ids: dict, seed: int = 0):
    """Random Phi3ForCausalLM / LlamaForCausalLM (eager attention, fp32) from the shrunk real config, with the
    special token ids of the fixture's tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM, Phi3Config, Phi3ForCausalLM

    fields = {**language_model_config(architecture, vocab_size), **token_ids}
    config_class, model_class = (Phi3Config, Phi3ForCausalLM) if architecture == "phi3" else (
        LlamaConfig, LlamaForCausalLM)
    config = config_class(**{k: v for k, v in fields.items() if k not in ("model_type", "architectures")})
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = model_class(config).eval()
    with torch.no_grad():
        # Larger than the 0.02 init so the random model's answers are not all one token.
        for parameter in model.parameters():
            if parameter.ndim == 2:
                parameter.normal_(0, 0.08)
    return model, fields


def write_checkpoint(folder: Path, architecture: str, florence_size: str = "base", base_vocab: int = 480,
                     seed: int = 0, full_size: bool = False) -> dict[str, Path]:
    """A Florence-VL checkpoint with the language model: the exporter's random Florence-2 tower and projector
    (fvl_export.testing.fixtures) in `folder/checkpoint`, plus the LLM's weights (own shards in the index),
    config fields, tokenizer and generation config; the Florence-2 tokenizer/preprocessor files, which the hub
    checkpoints do not carry, in `folder/tower-files`. Returns both folders.

    `full_size` keeps the real LLM config unshrunk (and its vocabulary) and writes bf16 weights shard by shard,
    never holding the model in memory."""
    from ..testing import fixtures
    from ..testing.bart_tokenizer import tokenizer_files

    checkpoint = folder / "checkpoint"
    tokenizer = build_tokenizer(architecture, base_vocab)
    # Model vocabularies are padded past the tokenizer (Phi-3.5: 32064 for 32011 tokens).
    vocab_size = -(-tokenizer.get_vocab_size() // 64) * 64
    special = PHI3_ADDED if architecture == "phi3" else LLAMA3_ADDED
    ids = {t: tokenizer.token_to_id(t) for t in special}
    if architecture == "phi3":
        token_ids = {"bos_token_id": 1, "eos_token_id": ids["<|endoftext|>"], "pad_token_id": ids["<|endoftext|>"]}
        generation = {**token_ids, "eos_token_id": [ids["<|end|>"], ids["<|assistant|>"], ids["<|endoftext|>"]]}
    else:
        token_ids = {"bos_token_id": ids["<|begin_of_text|>"],
                     "eos_token_id": [ids["<|end_of_text|>"], ids["<|eom_id|>"], ids["<|eot_id|>"]]}
        generation = dict(token_ids)
    if full_size:
        base = PHI35_MINI if architecture == "phi3" else LLAMA31_8B
        fields = {**base, "vocab_size": max(base["vocab_size"], vocab_size), **token_ids}
        shards = _random_full_size_shards(architecture, fields, seed)
    else:
        model, fields = build_language_model(architecture, vocab_size, token_ids, seed)
        shards = iter([{name: t.contiguous() for name, t in model.state_dict().items()}])
    tower = fixtures.random_model(florence_size, seed)
    fixtures.write_florence_vl(tower, checkpoint, hidden=fields["hidden_size"], seed=seed + 1)
    _append_shards(checkpoint, shards)
    # The real configs' own fields over the fixture's llava_phi defaults (a llava_llama config has no Phi fields).
    written = json.loads((checkpoint / "config.json").read_text())
    llava = {k: v for k, v in written.items() if k.startswith(("mm_", "image_", "tokenizer_", "use_mm", "tune_mm",
                                                               "freeze_mm"))}
    llava_type = "llava_phi" if architecture == "phi3" else "llava_llama"
    tower_repo = "jiuhai/florence-phi-vision-tower" if architecture == "phi3" else "jiuhai/florence-llama-vision-tower"
    config = {**llava, **LLAVA_FIELDS, "mm_hidden_size": written["mm_hidden_size"], **fields,
              "model_type": llava_type, "mm_vision_tower": tower_repo,
              "architectures": ["LlavaPhiForCausalLM" if architecture == "phi3" else "LlavaLlamaForCausalLM"]}
    (checkpoint / "config.json").write_text(json.dumps(config, indent=1))
    tokenizer.save(str(checkpoint / "tokenizer.json"))
    tokenizer_config = (
        {"add_bos_token": False, "add_eos_token": False, "bos_token": "<s>", "eos_token": "<|endoftext|>",
         "pad_token": "<|endoftext|>", "unk_token": "<unk>", "model_max_length": 4096, "legacy": False,
         "tokenizer_class": "LlamaTokenizer"}
        if architecture == "phi3"
        else {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "model_max_length": 131072,
              "tokenizer_class": "PreTrainedTokenizerFast"}
    )
    tokenizer_config["added_tokens_decoder"] = {
        str(ids[t]): {"content": t, "special": True, "lstrip": False, "rstrip": False, "normalized": False,
                      "single_word": False} for t in special}
    (checkpoint / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=1))
    (checkpoint / "generation_config.json").write_text(json.dumps(generation, indent=1))
    tower_files = folder / "tower-files"
    tower_files.mkdir(parents=True, exist_ok=True)
    for name, text in tokenizer_files().items():
        (tower_files / name).write_text(text)
    (tower_files / "preprocessor_config.json").write_text(json.dumps(fixtures.preprocessor_config(), indent=1))
    return {"checkpoint": checkpoint, "tower_files": tower_files}


def _random_full_size_shards(architecture: str, fields: dict, seed: int, shard_bytes: int = 2 * 1024**3):
    """bf16 tensors with transformers' parameter names and shapes (from the model built on the meta device),
    random normal(0, 0.02) (norm weights 1), yielded as shards of about `shard_bytes`."""
    from transformers import LlamaConfig, LlamaForCausalLM, Phi3Config, Phi3ForCausalLM

    config_class, model_class = (Phi3Config, Phi3ForCausalLM) if architecture == "phi3" else (
        LlamaConfig, LlamaForCausalLM)
    config = config_class(**{k: v for k, v in fields.items() if k not in ("model_type", "architectures")})
    with torch.device("meta"):
        shapes = {name: tuple(t.shape) for name, t in model_class(config).state_dict().items()}
    generator = torch.Generator().manual_seed(seed)
    shard: dict[str, torch.Tensor] = {}
    size = 0
    for name, shape in shapes.items():
        if name.endswith("norm.weight"):
            tensor = torch.ones(shape, dtype=torch.bfloat16)
        else:
            tensor = torch.empty(shape, dtype=torch.float32).normal_(0, 0.02, generator=generator).to(torch.bfloat16)
        shard[name] = tensor
        size += tensor.numel() * 2
        if size >= shard_bytes:
            yield shard
            shard, size = {}, 0
    if shard:
        yield shard


def _append_shards(checkpoint: Path, shards) -> None:
    """Writes the language model's shards next to the tower's and lists them in model.safetensors.index.json."""
    from safetensors.torch import save_file

    index_path = checkpoint / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    for k, shard in enumerate(shards):
        name = f"model-llm-{k + 1:05d}.safetensors"
        save_file(shard, str(checkpoint / name), metadata={"format": "pt"})
        index["weight_map"].update({tensor: name for tensor in shard})
        index["metadata"]["total_size"] = index["metadata"].get("total_size", 0) + sum(
            t.numel() * t.element_size() for t in shard.values())
        del shard
    index_path.write_text(json.dumps(index, indent=1))


def load_reference_model(folder: Path):
    """The checkpoint's language model as transformers' own Phi3ForCausalLM / LlamaForCausalLM (eager), loaded
    from the llava keys: the reference the export is compared with."""
    from safetensors import safe_open
    from transformers import LlamaForCausalLM, Phi3ForCausalLM

    from .spec import text_config

    config = json.loads((folder / "config.json").read_text())
    cfg = text_config(config)
    cfg._attn_implementation = "eager"
    model = (Phi3ForCausalLM if config["model_type"] == "llava_phi" else LlamaForCausalLM)(cfg).eval()
    weight_map = json.loads((folder / "model.safetensors.index.json").read_text())["weight_map"]
    wanted = set(model.state_dict())
    state = {}
    for shard in sorted(set(weight_map.values())):
        with safe_open(str(folder / shard), "pt") as handle:
            for name in handle.keys():  # noqa: SIM118
                if name in wanted:
                    state[name] = handle.get_tensor(name).float()
    model.load_state_dict(state, strict=True)
    return model


def strip_attention_outputs(model_dir: Path) -> None:
    """Removes the attentions.{i} outputs (and the nodes only they need) from every language-model graph of an
    exported folder and updates fvl.json: a folder like one exported with_attention=False, from the same weights."""
    import onnx

    from ..manifest import add_checksums

    manifest_path = model_dir / "fvl.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["llm"]["variants"].values():
        path = model_dir / entry["decoder"]
        graph_model = onnx.load(str(path), load_external_data=False)
        graph = graph_model.graph
        kept = [o for o in graph.output if not o.name.startswith("attentions.")]
        del graph.output[:]
        graph.output.extend(kept)
        needed = {o.name for o in graph.output}
        nodes = []
        for node in reversed(graph.node):
            if any(name in needed for name in node.output):
                nodes.append(node)
                needed.update(node.input)
        del graph.node[:]
        graph.node.extend(reversed(nodes))
        used = [tensor for tensor in graph.initializer if tensor.name in needed]
        del graph.initializer[:]
        graph.initializer.extend(used)
        onnx.save(graph_model, str(path))
        manifest["attention_outputs"].pop(entry["decoder"], None)
    manifest["llm"]["outputs"] = [o for o in manifest["llm"]["outputs"] if not o.startswith("attentions")]
    manifest_path.write_text(json.dumps(add_checksums(manifest, model_dir), indent=1))


def reexport_with_external_data(model_dir: Path, checkpoint: Path) -> None:
    """Rewrites the fp32 language-model graphs of an exported folder with their weights as ONNX external data (as
    a multi-GB checkpoint gets them) and refreshes fvl.json's checksums: the external-data path on a small model."""
    from ..manifest import add_checksums
    from .export import export_language_model
    from .shards import ShardedTensors

    config = json.loads((checkpoint / "config.json").read_text())
    export_language_model(checkpoint, model_dir, "fp32", ShardedTensors(checkpoint), config, variants=(),
                          external_data_bytes=0)
    manifest_path = model_dir / "fvl.json"
    manifest_path.write_text(json.dumps(add_checksums(json.loads(manifest_path.read_text()), model_dir), indent=1))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="write a shrunk random Florence-VL checkpoint with its LLM")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--architecture", choices=["phi3", "llama"], default="phi3")
    parser.add_argument("--florence-size", choices=["base", "large"], default="base")
    parser.add_argument("--full-size", action="store_true", help="the real LLM size (bf16, written shard by shard)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    folders = write_checkpoint(args.out, args.architecture, args.florence_size, full_size=args.full_size)
    print(json.dumps({name: str(path) for name, path in folders.items()}))


if __name__ == "__main__":
    main()
