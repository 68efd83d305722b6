"""One checkpoint folder -> one Lens model folder: graphs, copied tokenizer/configs, fvl.json."""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

from .checkpoint import Checkpoint, load_checkpoint
from .encoders import encoder_family, export_encoder
from .errors import MissingProcessorFilesError, OutputFolderError
from .manifest import FLORENCE_VL_PROMPTS, add_checksums, build_manifest
from .onnx_export import ExportSettings, export_graphs, graph_signatures

PROCESSOR_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
                   "added_tokens.json")
GENERATION_KEYS = ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id", "forced_bos_token_id",
                   "forced_eos_token_id", "no_repeat_ngram_size", "num_beams", "early_stopping", "max_new_tokens")


def processor_folder(checkpoint: Checkpoint, tower_files: Path | None) -> Path:
    """Where tokenizer.json and preprocessor_config.json of the Florence-2 part are."""
    candidates = [tower_files] if tower_files else []
    if checkpoint.format == "florence-vl":
        candidates.append(checkpoint.folder / "vision_tower")
    else:
        candidates.append(checkpoint.folder)
    for folder in candidates:
        if folder is not None and (folder / "tokenizer.json").is_file() and \
                (folder / "preprocessor_config.json").is_file():
            return folder
    where = ", ".join(str(c) for c in candidates if c is not None)
    hint = (" A Florence-VL checkpoint does not carry the Florence-2 tokenizer: download its vision tower "
            "(jiuhai/florence-phi-vision-tower or jiuhai/florence-llama-vision-tower) and pass it with --tower-files."
            if checkpoint.format == "florence-vl" else "")
    raise MissingProcessorFilesError(f"no tokenizer.json + preprocessor_config.json in {where}.{hint}")


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / "fvl.json").is_file():
        raise OutputFolderError(f"{out} exists and is not an earlier export (no fvl.json); choose an empty folder.")
    if (out / "onnx").is_dir():
        shutil.rmtree(out / "onnx")
    out.mkdir(parents=True, exist_ok=True)


def _generation_config(checkpoint: Checkpoint, processor: Path) -> dict:
    """The checkpoint's generation_config.json (the tower's for Florence-VL), else its text config's fields."""
    path = (processor if checkpoint.format == "florence-vl" else checkpoint.folder) / "generation_config.json"
    if path.is_file():
        return json.loads(path.read_text())
    text = checkpoint.config.text_config.to_dict()
    return {key: text[key] for key in GENERATION_KEYS if text.get(key) is not None}


def export_checkpoint(source: Path, out: Path, *, dtypes: list[str], image_size: int | None = None,
                      tower_files: Path | None = None, breadth_mode: str | None = None,
                      pad_to_square: bool | None = None, name: str | None = None,
                      external_data_bytes: int = 2 * 1024**3, log=print) -> dict:
    if encoder_family(source) is not None:  # CLIP / SigLIP / DINOv2: a vision-only folder (encoders.py)
        return export_encoder(source, out, dtypes=dtypes, image_size=image_size,
                              external_data_bytes=external_data_bytes, log=log)
    started = time.time()
    checkpoint = load_checkpoint(source)
    processor = processor_folder(checkpoint, tower_files)
    log(f"detected {checkpoint.format} checkpoint in {checkpoint.folder}")
    for note in checkpoint.notes:
        log(f"  {note}")
    preprocessor = json.loads((processor / "preprocessor_config.json").read_text())
    size = image_size or int(preprocessor.get("size", {}).get("height", 768))
    if size % 32 != 0:
        raise OutputFolderError(f"--image-size {size} is not a multiple of 32 (DaViT's total stride).")
    _prepare_out(out)
    log(f"exporting graphs ({', '.join(dtypes)}, {size}x{size}) to {out}")
    written = export_graphs(checkpoint, out, ExportSettings(size, dtypes, external_data_bytes), log)
    for file in PROCESSOR_FILES:
        if (processor / file).is_file():
            shutil.copyfile(processor / file, out / file)
    preprocessor["size"] = {"height": size, "width": size}
    preprocessor["crop_size"] = {"height": size, "width": size}
    preprocessor["image_seq_length"] = (size // 32) ** 2 + 1
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=1))
    (out / "generation_config.json").write_text(json.dumps(_generation_config(checkpoint, processor), indent=1))
    (out / "config.json").write_text(checkpoint.config.to_json_string())
    is_florence_vl = checkpoint.format == "florence-vl"
    manifest = build_manifest(
        checkpoint, out, name=name or out.name, image_size=size, dtypes=dtypes,
        breadth_mode=breadth_mode or ("florence-vl" if is_florence_vl else "lens"),
        pad_to_square=is_florence_vl if pad_to_square is None else pad_to_square,
        graphs=graph_signatures(out, list(written)),
        extra_files=[processor / f for f in (*PROCESSOR_FILES, "preprocessor_config.json") if (processor / f).is_file()])
    language_model = export_language_model_if_present(checkpoint, out, dtypes, log)
    if language_model:
        manifest.update({key: value for key, value in language_model.items() if key != "attention_outputs"})
        manifest["attention_outputs"].update(language_model.get("attention_outputs", {}))
    add_checksums(manifest, out)
    (out / "fvl.json").write_text(json.dumps(manifest, indent=1))
    return {
        "format": checkpoint.format, "source": str(checkpoint.folder), "out": str(out),
        "architecture": checkpoint.architecture, "notes": checkpoint.notes, "image_size": size, "dtypes": dtypes,
        "image_token_count": manifest["image_token_count"], "breadth_mode": manifest["breadth"]["mode"],
        "pad_to_square": manifest["preprocess"]["pad_to_square"],
        "prompts": [{"task": p["task"], "text": p["text"], "token_ids": p["token_ids"]} for p in FLORENCE_VL_PROMPTS],
        "projector": None if checkpoint.projector is None else {
            "type": checkpoint.projector.type, "input_dims": checkpoint.projector.input_dims,
            "output_dims": checkpoint.projector.output_dims},
        "language_model": bool(language_model), "graphs": sorted(written),
        "seconds": round(time.time() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def export_language_model_if_present(checkpoint: Checkpoint, out: Path, dtypes: list[str], log) -> dict | None:
    """The one call into the language-model exporter (fvl_export.llm, part 2) for Florence-VL checkpoints that
    carry LLM weights; its interface is documented in fvl_export/llm/__init__.py. Returns the fvl.json fragments."""
    if checkpoint.format != "florence-vl":
        return None
    try:
        from .llm import ShardedTensors, export_language_model
    except ImportError:
        log("  language model: not exported (fvl_export.llm is not available)")
        return None
    weights = ShardedTensors(checkpoint.folder)
    if "model.embed_tokens.weight" not in weights:
        log("  language model: none in this checkpoint (no model.embed_tokens.weight)")
        return None
    log("exporting the language model")
    fragments = export_language_model(checkpoint_dir=checkpoint.folder, out_dir=out, dtype=dtypes[0],
                                      weights=weights, config=checkpoint.llava_config or {})
    return {key: value for key, value in fragments.items() if key != "files"}
