"""ONNX graphs of the Phi-3 / Llama decoder taking `inputs_embeds`, written node by node from the checkpoint's
weights (one tensor in memory at a time), and of its token-embedding table.

The decoder mirrors transformers' eager Phi3ForCausalLM / LlamaForCausalLM: RMSNorm in float32, RoPE from the
inverse frequencies transformers computes (LongRoPE switches to its long factors past the original context, as
transformers does per call), grouped-query attention, SiLU-gated MLP. Inputs and outputs are float32 whatever
the weights are; fp16 weights multiply in fp16, int8 and int4 weights go through ONNX Runtime's MatMulNBits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from ..errors import WeightShapeError
from .quantize import quantize_blockwise
from .spec import LanguageModelSpec
from .weights import INLINE_LIMIT_BYTES, WeightSink

OPSET = 17
FLOAT_MIN = float(np.finfo(np.float32).min)
WEIGHT_DTYPES = ("fp32", "fp16", "int8", "int4")
QUANTIZED_BITS = {"int8": 8, "int4": 4}
QUANT_BLOCK = 32
# MatMulNBits' accuracy level 4 multiplies with int8-quantized activations (MLAS' CompInt8 kernels). On x86 CPUs
# ONNX Runtime 1.30 has no prepacked fp32-compute path for 8-bit weights: level 0 ran a 3072² int8 product 200x
# slower than level 4 (5.7 s vs 27 ms for 64 of them), and 4-bit weights 4.6x slower.
ACCURACY_LEVEL = 4
# Bytes per weight as stored: 8- and 4-bit values plus one float32 scale per block of QUANT_BLOCK.
STORED_BYTES = {"fp32": 4.0, "fp16": 2.0, "int8": 1 + 4 / QUANT_BLOCK, "int4": 0.5 + 4 / QUANT_BLOCK}

WeightGetter = Callable[[str], np.ndarray]


class _Graph:
    """Nodes and constants of one graph; names are made unique by a counter."""

    def __init__(self, sink: WeightSink, weight_dtype: str):
        self.nodes: list[onnx.NodeProto] = []
        self.sink = sink
        self.weight_dtype = weight_dtype
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, outputs=None, domain="", **attrs):
        outs = outputs or [self.name(hint or op_type.lower())]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), domain=domain, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def const(self, array: np.ndarray, hint: str) -> str:
        return self.sink.add(self.name(hint), np.asarray(array))

    def ints(self, values: list[int], hint: str = "shape") -> str:
        return self.const(np.array(values, dtype=np.int64), hint)

    def linear(self, x: str, weight: np.ndarray, hint: str) -> str:
        """x @ weight.T for a torch Linear weight [out, in], in the graph's weight dtype."""
        out_features, in_features = weight.shape
        bits = QUANTIZED_BITS.get(self.weight_dtype)
        if bits is not None:
            packed, scales = quantize_blockwise(weight, QUANT_BLOCK, bits)
            return self.op(
                "MatMulNBits",
                [x, self.const(packed, f"{hint}.qweight"), self.const(scales, f"{hint}.scales")],
                hint,
                domain="com.microsoft",
                K=in_features,
                N=out_features,
                bits=bits,
                block_size=QUANT_BLOCK,
                accuracy_level=ACCURACY_LEVEL,
            )
        if self.weight_dtype == "fp16":
            w = self.const(weight.T.astype(np.float16), f"{hint}.weight")
            x16 = self.op("Cast", [x], to=TensorProto.FLOAT16)
            return self.op("Cast", [self.op("MatMul", [x16, w])], hint, to=TensorProto.FLOAT)
        return self.op("MatMul", [x, self.const(weight.T.astype(np.float32), f"{hint}.weight")], hint)

    def rms_norm(self, x: str, weight: np.ndarray, eps: float, hint: str) -> str:
        variance = self.op("ReduceMean", [self.op("Mul", [x, x])], axes=[-1], keepdims=1)
        eps_c = self.const(np.array(eps, dtype=np.float32), "eps")
        inv = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [variance, eps_c])])])
        return self.op("Mul", [self.op("Mul", [x, inv]), self.const(weight.astype(np.float32), f"{hint}.weight")])


def _layer_weights(get: WeightGetter, spec: LanguageModelSpec, i: int) -> dict[str, np.ndarray]:
    """One decoder layer's weights with Llama's separate projections fused the way Phi-3 stores them."""
    p = f"model.layers.{i}."
    if spec.architecture == "phi3":
        qkv = get(p + "self_attn.qkv_proj.weight")
        gate_up = get(p + "mlp.gate_up_proj.weight")
    else:
        qkv = np.concatenate([get(p + f"self_attn.{n}_proj.weight") for n in "qkv"], axis=0)
        gate_up = np.concatenate([get(p + "mlp.gate_proj.weight"), get(p + "mlp.up_proj.weight")], axis=0)
    return {
        "qkv": qkv,
        "o": get(p + "self_attn.o_proj.weight"),
        "gate_up": gate_up,
        "down": get(p + "mlp.down_proj.weight"),
        "input_norm": get(p + "input_layernorm.weight"),
        "post_norm": get(p + "post_attention_layernorm.weight"),
    }


def _check_shapes(spec: LanguageModelSpec, i: int, w: dict[str, np.ndarray]) -> None:
    q_size = spec.heads * spec.head_dim
    kv_size = spec.kv_heads * spec.head_dim
    expected = {
        "qkv": (q_size + 2 * kv_size, spec.hidden),
        "o": (spec.hidden, q_size),
        "gate_up": (2 * spec.intermediate, spec.hidden),
        "down": (spec.hidden, spec.intermediate),
        "input_norm": (spec.hidden,),
        "post_norm": (spec.hidden,),
    }
    for key, shape in expected.items():
        if tuple(w[key].shape) != shape:
            raise WeightShapeError(
                f"model.layers.{i} {key} weight has shape {tuple(w[key].shape)} but config.json implies {shape}: "
                "the config and the weights come from different models"
            )


def estimated_bytes(spec: LanguageModelSpec, weight_dtype: str) -> int:
    per_layer = spec.hidden * (
        (spec.heads + 2 * spec.kv_heads) * spec.head_dim + spec.heads * spec.head_dim + 3 * spec.intermediate
    )
    params = spec.layers * per_layer + spec.vocab_size * spec.hidden
    return int(params * STORED_BYTES[weight_dtype])


class _Rope:
    """cos / sin [T, rotary_dim] of positions past_len .. past_len + T - 1, built once per graph."""

    def __init__(self, g: _Graph, spec: LanguageModelSpec, past_len: str, total_len: str):
        positions = g.op("Cast", [g.op("Range", [past_len, total_len, g.const(np.array(1, np.int64), "one")])],
                         to=TensorProto.FLOAT)
        inv_freq = g.const(spec.inv_freq.astype(np.float32)[None, :], "inv_freq")
        if spec.long_inv_freq is not None:
            is_long = g.op("Greater", [total_len, g.const(np.array(spec.original_max_positions, np.int64), "orig")])
            inv_freq = g.op("Where", [is_long, g.const(spec.long_inv_freq.astype(np.float32)[None, :], "long"),
                                      inv_freq])
        freqs = g.op("MatMul", [g.op("Unsqueeze", [positions, g.ints([1])]), inv_freq])
        emb = g.op("Concat", [freqs, freqs], axis=-1)
        scale = g.const(np.array(spec.attention_scaling, np.float32), "rope_scale")
        self.cos = g.op("Mul", [g.op("Cos", [emb]), scale], "cos")
        self.sin = g.op("Mul", [g.op("Sin", [emb]), scale], "sin")
        self.g, self.spec = g, spec

    def apply(self, x: str) -> str:
        """x [B, heads, T, head_dim] rotated on its first rotary_dim channels (transformers' rotate_half)."""
        g, rot, hd = self.g, self.spec.rotary_dim, self.spec.head_dim
        x_rot, x_pass = (x, None)
        if rot < hd:
            x_rot = g.op("Slice", [x, g.ints([0]), g.ints([rot]), g.ints([-1])])
            x_pass = g.op("Slice", [x, g.ints([rot]), g.ints([hd]), g.ints([-1])])
        x1, x2 = g.op("Split", [x_rot, g.ints([rot // 2, rot // 2])], outputs=[g.name("x1"), g.name("x2")], axis=-1)
        rotated = g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)
        out = g.op("Add", [g.op("Mul", [x_rot, self.cos]), g.op("Mul", [rotated, self.sin])])
        return out if x_pass is None else g.op("Concat", [out, x_pass], axis=-1)


def build_decoder(
    spec: LanguageModelSpec,
    get: WeightGetter,
    path: Path,
    weight_dtype: str,
    with_attention: bool,
    external_data_bytes: int = INLINE_LIMIT_BYTES,
) -> int:
    """Writes the decoder graph to `path`, its weights as external data beside it when they exceed
    `external_data_bytes`; returns its weight bytes."""
    if weight_dtype not in WEIGHT_DTYPES:
        raise ValueError(f"weight dtype {weight_dtype!r}: expected one of {', '.join(WEIGHT_DTYPES)}")
    sink = WeightSink(path, external=estimated_bytes(spec, weight_dtype) > external_data_bytes)
    g = _Graph(sink, weight_dtype)
    H, nh, kvh, hd, groups = spec.hidden, spec.heads, spec.kv_heads, spec.head_dim, spec.kv_groups
    f32 = TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("inputs_embeds", f32, ["batch_size", "sequence_length", H]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", f32, ["batch_size", 1, spec.vocab_size]),
        helper.make_tensor_value_info("last_hidden_state", f32, ["batch_size", "sequence_length", H]),
    ]
    for i in range(spec.layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                f"past_key_values.{i}.{kind}", f32, ["batch_size", kvh, "past_sequence_length", hd]))
            outputs.append(helper.make_tensor_value_info(
                f"present.{i}.{kind}", f32, ["batch_size", kvh, "total_sequence_length", hd]))
        if with_attention:
            outputs.append(helper.make_tensor_value_info(
                f"attentions.{i}", f32, ["batch_size", nh, 1, "total_sequence_length"]))

    def scalar_dim(tensor: str, axis: int) -> str:
        return g.op("Squeeze", [g.op("Shape", [tensor], start=axis, end=axis + 1), g.ints([0])])

    past_len = scalar_dim("past_key_values.0.key", 2)
    total_len = g.op("Add", [past_len, scalar_dim("inputs_embeds", 1)])
    rope = _Rope(g, spec, past_len, total_len)
    # Additive mask [B, 1, 1, T, S]: causal over absolute positions and the caller's attention_mask (as eager).
    zero = g.const(np.array(0, np.int64), "zero")
    one = g.const(np.array(1, np.int64), "one")
    q_pos = g.op("Unsqueeze", [g.op("Range", [past_len, total_len, one]), g.ints([1])])
    k_pos = g.op("Unsqueeze", [g.op("Range", [zero, total_len, one]), g.ints([0])])
    keep = g.op("And", [
        g.op("LessOrEqual", [k_pos, q_pos]),
        g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TensorProto.BOOL), g.ints([1])]),
    ])
    bias = g.op("Unsqueeze", [
        g.op("Where", [keep, g.const(np.array(0, np.float32), "0f"), g.const(np.array(FLOAT_MIN, np.float32), "min")]),
        g.ints([1, 2]),
    ], "mask_bias")
    scale = g.const(np.array(hd**-0.5, np.float32), "scale")

    x = "inputs_embeds"
    for i in range(spec.layers):
        w = _layer_weights(get, spec, i)
        _check_shapes(spec, i, w)
        h = g.rms_norm(x, w["input_norm"], spec.rms_norm_eps, f"layers.{i}.input_layernorm")
        qkv = g.linear(h, w.pop("qkv"), f"layers.{i}.qkv")
        q, k, v = g.op("Split", [qkv, g.ints([nh * hd, kvh * hd, kvh * hd])],
                       outputs=[g.name("q"), g.name("k"), g.name("v")], axis=-1)

        def heads(t: str, n: int) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, g.ints([0, 0, n, hd])])], perm=[0, 2, 1, 3])

        q = rope.apply(heads(q, nh))
        k = rope.apply(heads(k, kvh))
        v = heads(v, kvh)
        k = g.op("Concat", [f"past_key_values.{i}.key", k], outputs=[f"present.{i}.key"], axis=2)
        v = g.op("Concat", [f"past_key_values.{i}.value", v], outputs=[f"present.{i}.value"], axis=2)
        # Grouped-query attention without copying keys: query heads [B, kv_heads, groups, T, hd] against
        # keys [B, kv_heads, 1, S, hd] (head h = kv * groups + r, as transformers' repeat_kv orders them).
        q5 = g.op("Reshape", [q, g.ints([0, kvh, groups, -1, hd])])
        k5t = g.op("Transpose", [g.op("Unsqueeze", [k, g.ints([2])])], perm=[0, 1, 2, 4, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q5, k5t]), scale]), bias])
        probs = g.op("Softmax", [scores], axis=-1)
        if with_attention:
            last = g.op("Slice", [probs, g.ints([-1]), g.ints([2**62]), g.ints([3])])
            g.op("Reshape", [last, g.ints([0, nh, 1, -1])], outputs=[f"attentions.{i}"])
        context = g.op("MatMul", [probs, g.op("Unsqueeze", [v, g.ints([2])])])
        context = g.op("Transpose", [g.op("Reshape", [context, g.ints([0, nh, -1, hd])])], perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, g.ints([0, 0, nh * hd])])
        x = g.op("Add", [x, g.linear(context, w.pop("o"), f"layers.{i}.o_proj")])
        h = g.rms_norm(x, w["post_norm"], spec.rms_norm_eps, f"layers.{i}.post_attention_layernorm")
        gate, up = g.op("Split", [g.linear(h, w.pop("gate_up"), f"layers.{i}.gate_up"),
                                  g.ints([spec.intermediate, spec.intermediate])],
                        outputs=[g.name("gate"), g.name("up")], axis=-1)
        act = g.op("Mul", [up, g.op("Mul", [gate, g.op("Sigmoid", [gate])])])
        x = g.op("Add", [x, g.linear(act, w.pop("down"), f"layers.{i}.down_proj")])
        del w

    hidden = g.rms_norm(x, get("model.norm.weight"), spec.rms_norm_eps, "norm")
    g.op("Identity", [hidden], outputs=["last_hidden_state"])
    last = g.op("Slice", [hidden, g.ints([-1]), g.ints([2**62]), g.ints([1])])
    head = get("model.embed_tokens.weight" if spec.tie_word_embeddings else "lm_head.weight")
    g.op("Identity", [g.linear(last, head, "lm_head")], outputs=["logits"])
    _save(g, inputs, outputs, path, "florence-vl-llm-decoder")
    return sink.bytes


def build_embed_tokens(spec: LanguageModelSpec, get: WeightGetter, path: Path, weight_dtype: str,
                       external_data_bytes: int = INLINE_LIMIT_BYTES) -> int:
    """input_ids [B, T] -> inputs_embeds [B, T, H] float32 (the table kept in fp16 for the fp16 variant)."""
    table = get("model.embed_tokens.weight")
    if tuple(table.shape) != (spec.vocab_size, spec.hidden):
        raise WeightShapeError(
            f"model.embed_tokens.weight has shape {tuple(table.shape)} but config.json implies "
            f"({spec.vocab_size}, {spec.hidden}): the config and the weights come from different models"
        )
    half = weight_dtype == "fp16"
    stored = table.astype(np.float16 if half else np.float32)
    sink = WeightSink(path, external=stored.nbytes > external_data_bytes)
    g = _Graph(sink, weight_dtype)
    gathered = g.op("Gather", [g.const(stored, "embed_tokens.weight"), "input_ids"], axis=0)
    g.op("Cast" if half else "Identity", [gathered], outputs=["inputs_embeds"],
         **({"to": TensorProto.FLOAT} if half else {}))
    _save(
        g,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])],
        [helper.make_tensor_value_info("inputs_embeds", TensorProto.FLOAT,
                                       ["batch_size", "sequence_length", spec.hidden])],
        path,
        "florence-vl-llm-embed-tokens",
    )
    return sink.bytes


def _save(g: _Graph, inputs, outputs, path: Path, name: str) -> None:
    graph = helper.make_graph(g.nodes, name, inputs, outputs, g.sink.initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="fvl_export.llm",
    )
    model.ir_version = 8
    g.sink.close()
    onnx.save(model, str(path))
