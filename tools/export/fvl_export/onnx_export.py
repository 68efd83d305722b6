"""torch -> ONNX for one checkpoint: the onnx-community file and tensor names plus Lens's extra outputs.

Graphs whose weights pass the external-data threshold (2 GB by default, protobuf's limit) are written as
`<name>.onnx` + `<name>.onnx_data`; ONNX Runtime reads the data by path next to the graph.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch

from .checkpoint import Checkpoint
from .graphs import DecoderGraph, EmbedGraph, EncoderGraph, ProjectorGraph, VisionGraph

OPSET = 17
GRAPH_NAMES = ("vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged", "projector")
SUFFIX = {"fp32": "", "fp16": "_fp16"}
TORCH_DTYPE = {"fp32": torch.float32, "fp16": torch.float16}


@dataclass
class ExportSettings:
    image_size: int
    dtypes: list[str]
    external_data_bytes: int = 2 * 1024**3


def graph_file(name: str, dtype: str) -> str:
    return f"onnx/{name}{SUFFIX[dtype]}.onnx"


def _save(module, args, path: Path, inputs, outputs, axes, threshold: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        raw = Path(scratch) / path.name
        with torch.no_grad():
            torch.onnx.export(module, args, str(raw), input_names=inputs, output_names=outputs, dynamic_axes=axes,
                              opset_version=OPSET, do_constant_folding=True, dynamo=False)
        model = onnx.load(str(raw))
        _fix_static_output_dims(model, module, args, axes)
        weight_bytes = sum(len(t.raw_data) for t in model.graph.initializer)
        for stale in (path, path.with_name(path.name + "_data")):
            stale.unlink(missing_ok=True)
        if weight_bytes >= threshold:
            onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=path.name + "_data", size_threshold=1024)
        else:
            onnx.save_model(model, str(path))


def _fix_static_output_dims(model: onnx.ModelProto, module, args, axes) -> None:
    """Writes every non-dynamic output dimension as a number. The TorchScript exporter leaves some symbolic
    (image_features' 577 tokens, attention heads: 'Castimage_features_dim_1'), which the contract fixes."""
    with torch.no_grad():
        outputs = module(*args)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    for value, tensor in zip(model.graph.output, outputs):
        dynamic = axes.get(value.name, {})
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if axis not in dynamic:
                dim.Clear()
                dim.dim_value = tensor.shape[axis]


def decoder_names(layers: int) -> tuple[list[str], list[str], list[str]]:
    past, present = [], []
    for i in range(layers):
        for part in ("decoder", "encoder"):
            for kv in ("key", "value"):
                past.append(f"past_key_values.{i}.{part}.{kv}")
                present.append(f"present.{i}.{part}.{kv}")
    return past, present, [f"cross_attentions.{i}" for i in range(layers)]


def export_graphs(checkpoint: Checkpoint, out: Path, settings: ExportSettings, log=print) -> dict[str, list[str]]:
    """Writes every graph in every requested dtype; returns {graph file: output names}."""
    text = checkpoint.config.text_config
    d, heads = text.d_model, text.decoder_attention_heads
    head_dim = d // heads
    size = settings.image_size
    written: dict[str, list[str]] = {}
    for dtype in settings.dtypes:
        model = checkpoint.model if dtype == "fp32" else copy.deepcopy(checkpoint.model).to(TORCH_DTYPE[dtype])
        threshold = settings.external_data_bytes

        def save(name, module, args, inputs, outputs, axes):
            file = graph_file(name, dtype)
            log(f"  {file}")
            _save(module.eval(), args, out / file, inputs, outputs, axes, threshold)
            written[file] = outputs

        stages = [f"stage_{i + 1}" for i in range(len(checkpoint.config.vision_config.embed_dim))]
        save("vision_encoder", VisionGraph(model), (torch.zeros(1, 3, size, size),), ["pixel_values"],
             ["image_features", *stages],
             {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"},
              **{stage: {0: "batch_size"} for stage in stages}})
        save("embed_tokens", EmbedGraph(model), (torch.tensor([[0, 5, 2]]),), ["input_ids"], ["inputs_embeds"],
             {"input_ids": {0: "batch_size", 1: "sequence_length"},
              "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
        attentions = [f"attentions.{i}" for i in range(text.encoder_layers)]
        seq = {0: "batch_size", 1: "encoder_sequence_length"}
        save("encoder_model", EncoderGraph(model), (torch.zeros(1, 7, d), torch.ones(1, 7, dtype=torch.int64)),
             ["inputs_embeds", "attention_mask"], ["last_hidden_state", *attentions],
             {"inputs_embeds": seq, "attention_mask": seq, "last_hidden_state": seq,
              **{a: {0: "batch_size", 2: "encoder_sequence_length", 3: "encoder_sequence_length"}
                 for a in attentions}})
        past, present, cross = decoder_names(text.decoder_layers)
        past_axes = {}
        for name in past:
            past_axes[name] = {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in name
                               else "encoder_sequence_length_out"}
        present_axes = {}
        for name in present:
            present_axes[name] = {0: "batch_size", 2: "past_decoder_sequence_length + 1" if ".decoder." in name
                                  else "encoder_sequence_length_out"}
        # Traced with the cache branch on and a non-empty past, so the gating stays symbolic.
        example_past = [torch.zeros(2, heads, 3 if ".decoder." in name else 5, head_dim) for name in past]
        save("decoder_model_merged", DecoderGraph(model),
             (torch.zeros(2, 1, d), torch.zeros(2, 5, d), torch.ones(2, 5, dtype=torch.int64),
              torch.tensor([True]), *example_past),
             ["inputs_embeds", "encoder_hidden_states", "encoder_attention_mask", "use_cache_branch", *past],
             ["logits", *present, *cross],
             {"inputs_embeds": {0: "batch_size", 1: "decoder_sequence_length"},
              "encoder_hidden_states": seq, "encoder_attention_mask": seq,
              "logits": {0: "batch_size", 1: "decoder_sequence_length"}, **past_axes, **present_axes,
              **{c: {0: "batch_size", 2: "decoder_sequence_length", 3: "encoder_sequence_length"} for c in cross}})
        if checkpoint.projector is not None:
            projector = checkpoint.projector.module
            if dtype != "fp32":
                projector = copy.deepcopy(projector).to(TORCH_DTYPE[dtype])
            tokens = {0: "batch_size", 1: "image_tokens"}
            save("projector", ProjectorGraph(projector), (torch.zeros(1, 3, checkpoint.projector.input_dims),),
                 ["fused_features"], ["visual_tokens"], {"fused_features": tokens, "visual_tokens": tokens})
        if dtype != "fp32":
            del model
    return written


def graph_signatures(out: Path, files: list[str]) -> dict:
    """Input/output names, dtypes and dims of each written graph (recorded in fvl.json, checked by `model check`)."""
    names = {1: "float32", 7: "int64", 9: "bool", 10: "float16"}

    def values(items):
        return [{"name": v.name, "dtype": names.get(v.type.tensor_type.elem_type, str(v.type.tensor_type.elem_type)),
                 "dims": [dim.dim_param or dim.dim_value for dim in v.type.tensor_type.shape.dim]} for v in items]

    out_dict = {}
    for file in files:
        graph = onnx.load(str(out / file), load_external_data=False).graph
        out_dict[file] = {"inputs": values(graph.input), "outputs": values(graph.output)}
    return out_dict
