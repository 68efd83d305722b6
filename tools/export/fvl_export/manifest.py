"""fvl.json for an exported folder: depth levels, prompts (Florence-VL's exact ids and Lens's default), fusion,
decoding, attention outputs, provenance (source format, source file sha256s, exporter version) and checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
import torch
import transformers

from . import EXPORTER_VERSION
from .checkpoint import Checkpoint
from .onnx_export import graph_file

# Florence-VL's florence_encoder.py: the three prompts as fixed token ids, one row each, padded with <pad> (1) to
# 14 and encoded without an attention mask (pad tokens are attended).
FLORENCE_VL_PROMPTS = [
    {"task": "<DETAILED_CAPTION>", "name": "caption", "text": "Describe in detail what is shown in the image.",
     "token_ids": [0, 47066, 21700, 11, 4617, 99, 16, 2343, 11, 5, 2274, 4, 2, 1]},
    {"task": "<OCR>", "name": "ocr", "text": "What is the text in the image?",
     "token_ids": [0, 2264, 16, 5, 2788, 11, 5, 2274, 116, 2, 1, 1, 1, 1]},
    {"task": "<DENSE_REGION_CAPTION>", "name": "region",
     "text": "Locate the objects in the image, with their descriptions.",
     "token_ids": [0, 574, 22486, 5, 8720, 11, 5, 2274, 6, 19, 49, 24173, 4, 2]},
]
BREADTH_MODES = {
    "florence-vl": "Florence-VL's extraction: the prompts' fixed token ids padded with <pad> to 14, all attended "
                   "(no attention mask)",
    "lens": "Lens's default: each prompt tokenized by tokenizer.json (<s> text </s>), no padding; when prompts of "
            "different lengths share a batch the padding is masked out",
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "fvl.json")


def build_manifest(checkpoint: Checkpoint, out: Path, *, name: str, image_size: int, dtypes: list[str],
                   breadth_mode: str, pad_to_square: bool, graphs: dict, extra_files: list[Path]) -> dict:
    vision, text = checkpoint.config.vision_config, checkpoint.config.text_config
    grid = image_size // 32
    stage_grids = [image_size // 4 // 2**i for i in range(len(vision.embed_dim))]
    vision_file = graph_file("vision_encoder", "fp32" if "fp32" in dtypes else dtypes[0])
    depth_levels = [
        {"name": f"stage{i + 1}", "output": f"stage_{i + 1}", "graph": vision_file, "grid": [g, g], "dims": dims,
         "layout": "BCHW", "pooled_token": False}
        for i, (g, dims) in enumerate(zip(stage_grids, vision.embed_dim))
    ]
    depth_levels.append({"name": "V", "output": "image_features", "graph": vision_file, "grid": [grid, grid],
                         "dims": vision.projection_dim, "layout": "BNC", "pooled_token": True,
                         "note": "token 0 = spatial mean of the position-embedded stage-4 grid, tokens 1.. = grid "
                                 "row-major, after image_projection and its LayerNorm"})
    has_projector = checkpoint.projector is not None
    primary = "fp32" if "fp32" in dtypes else dtypes[0]
    decoder = graph_file("decoder_model_merged", primary)
    encoder = graph_file("encoder_model", primary)
    manifest = {
        "layout_version": 1,
        "name": name,
        "description": f"{checkpoint.format} Florence-2 checkpoint exported by fvl_export {EXPORTER_VERSION}",
        "image_size": image_size,
        "image_token_count": grid * grid + 1,
        "depth_levels": depth_levels,
        "prompts": FLORENCE_VL_PROMPTS,
        "breadth": {
            "mode": breadth_mode,
            "modes": BREADTH_MODES,
            "padded_length": 14,
            "pad_id": text.pad_token_id,
            "source": "encoder_model last_hidden_state[:, :image_token_count] for each prompt",
            "encoder_input": "[image_features; embed_tokens(prompt ids)]",
        },
        "preprocess": {
            "pad_to_square": pad_to_square,
            "fill": "image_mean",
            "note": "Florence-VL pads to a square with the processor's mean colour (expand2square) before resizing",
        },
        "fusion": {
            "method": "channel_concat",
            "order": ["V", "<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"],
            "dims": 4 * vision.projection_dim,
            # The fp32 name: the engine adds the suffix of the dtype it opens (onnx/projector_fp16.onnx).
            "projector": graph_file("projector", "fp32") if has_projector else None,
            **({"projector_type": checkpoint.projector.type, "input": "fused_features", "output": "visual_tokens",
                "output_dims": checkpoint.projector.output_dims} if has_projector else {}),
        },
        "florence2": {
            "decoder": decoder,
            "decoder_layers": text.decoder_layers,
            "heads": text.decoder_attention_heads,
            "head_dim": text.d_model // text.decoder_attention_heads,
            "decoder_start_token_id": getattr(text, "decoder_start_token_id", None) or 2,
            "forced_bos_token_id": getattr(text, "forced_bos_token_id", 0),
            "eos_token_id": getattr(text, "eos_token_id", None) or 2,
            "num_beams": 3,
            "no_repeat_ngram_size": 3,
            "max_new_tokens": {},
            "merged_decoder": "single graph; use_cache_branch=false ignores the past inputs (pass length 0)",
        },
        "attention_outputs": {
            encoder: {"names": [f"attentions.{i}" for i in range(text.encoder_layers)], "shape": "[B, heads, S, S]",
                      "kind": "self-attention probabilities"},
            decoder: {"names": [f"cross_attentions.{i}" for i in range(text.decoder_layers)],
                      "shape": "[B, heads, T, S]", "kind": "cross-attention probabilities"},
        },
        "stage_outputs": {"graph": vision_file, "names": [level["output"] for level in depth_levels[:-1]],
                          "layout": "[B, C, H, W]"},
        "dtypes": dtypes,
        "source": {
            "format": checkpoint.format,
            "folder": checkpoint.folder.name,
            "architecture": checkpoint.architecture,
            "notes": checkpoint.notes,
            # Checkpoint files by their path in it; the tokenizer/processor taken from --tower-files under tower/.
            "files": {str(p.relative_to(checkpoint.folder)) if p.is_relative_to(checkpoint.folder) else f"tower/{p.name}":
                      sha256_file(p) for p in dict.fromkeys([*checkpoint.files, *extra_files])},
            "exporter": "fvl_export",
            "exporter_version": EXPORTER_VERSION,
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "onnx_version": onnx.__version__,
        },
        "graphs": graphs,
    }
    return manifest


def add_checksums(manifest: dict, out: Path) -> dict:
    manifest["files"] = {file: sha256_file(out / file) for file in _relative_files(out)}
    return manifest
