"""Unit tests of the language-model export (fvl_export.llm): typed errors for bad checkpoints, the 8- and 4-bit
weight layout (against ONNX Runtime's MatMulNBits), the layer-by-layer fp32 reference of the quality probe, an
fp16 export whose quantized variants are measured against fp32, and Florence-VL's prompt tokenization rule.

Run: tools/export/.venv/bin/python -m unittest -v test_fvl_export_llm
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedTokenizerFast

from fvl_export.errors import MissingProcessorFilesError, MissingWeightsError, UnknownFormatError, WeightShapeError
from fvl_export.llm import ShardedTensors, export_language_model
from fvl_export.llm.chat import IMAGE_TOKEN_INDEX, chat_template, tokenizer_image_token
from fvl_export.llm.graph import ACCURACY_LEVEL, QUANT_BLOCK
from fvl_export.llm.quality import PROBE_PROMPT, probe_tokens, reference_outputs
from fvl_export.llm.quantize import dequantize_blockwise, quantize_blockwise, zero_point
from fvl_export.llm.spec import read_spec
from fvl_export.llm.testing import build_tokenizer, load_reference_model, write_checkpoint

torch.set_num_threads(2)


class LanguageModelExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="fvl-llm-test-"))
        cls.checkpoint = write_checkpoint(cls.root / "phi3", "phi3")["checkpoint"]
        cls.config = json.loads((cls.checkpoint / "config.json").read_text())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def export(self, weights, config=None, out="out"):
        return export_language_model(self.checkpoint, self.root / out, "fp32", weights, config or self.config,
                                     variants=())

    def test_unknown_model_type(self):
        with self.assertRaisesRegex(UnknownFormatError, "llava_phi, llava_llama"):
            read_spec({**self.config, "model_type": "llava_mistral"})

    def test_weight_shape_that_does_not_fit(self):
        weights = dict(ShardedTensors(self.checkpoint))
        name = "model.layers.1.mlp.down_proj.weight"
        weights[name] = weights[name][:, :-8]
        with self.assertRaisesRegex(WeightShapeError, "layers.1 down"):
            self.export(weights)

    def test_missing_weight(self):
        weights = {k: v for k, v in ShardedTensors(self.checkpoint).items() if k != "model.norm.weight"}
        with self.assertRaisesRegex(MissingWeightsError, "model.norm.weight"):
            self.export(weights)

    def test_missing_tokenizer(self):
        broken = self.root / "no-tokenizer"
        shutil.copytree(self.checkpoint, broken)
        (broken / "tokenizer.json").unlink()
        with self.assertRaisesRegex(MissingProcessorFilesError, "tokenizer.json"):
            export_language_model(broken, self.root / "out-broken", "fp32", ShardedTensors(broken), self.config,
                                  variants=())

    def test_blocks_dequantize_within_half_a_step(self):
        weight = np.random.default_rng(0).standard_normal((16, 70)).astype(np.float32)
        for bits in (8, 4):
            packed, scales = quantize_blockwise(weight, 32, bits)
            self.assertEqual(packed.shape, (16, 3, 32 * bits // 8))
            restored = dequantize_blockwise(packed, scales, 70, bits)
            step = np.repeat(scales.reshape(16, 3), 32, axis=1)[:, :70]
            self.assertTrue(np.all(np.abs(restored - weight) <= step / 2 + 1e-7), bits)
            # Every level is used and none past the symmetric range.
            self.assertEqual(int(np.rint(np.abs(restored) / step).max()), zero_point(bits) - 1)

    def test_matmulnbits_multiplies_with_the_dequantized_weight(self):
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        rng = np.random.default_rng(1)
        n, k = 24, 96
        weight = rng.standard_normal((n, k)).astype(np.float32)
        x = rng.standard_normal((3, k)).astype(np.float32)
        for bits in (8, 4):
            packed, scales = quantize_blockwise(weight, QUANT_BLOCK, bits)
            for level in (0, ACCURACY_LEVEL):
                node = helper.make_node("MatMulNBits", ["x", "q", "s"], ["y"], domain="com.microsoft", K=k, N=n,
                                        bits=bits, block_size=QUANT_BLOCK, accuracy_level=level)
                graph = helper.make_graph(
                    [node], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, k])],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, n])],
                    [numpy_helper.from_array(packed, "q"), numpy_helper.from_array(scales, "s")])
                model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                                helper.make_opsetid("com.microsoft", 1)])
                model.ir_version = 8
                session = ort.InferenceSession(model.SerializeToString())
                expected = x @ dequantize_blockwise(packed, scales, k, bits).T
                got = session.run(None, {"x": x})[0]
                # Level 4 also rounds the activations to 8 bits per block: about 1/254 of their range.
                bound = 1e-4 if level == 0 else 0.02 * np.abs(expected).max()
                self.assertLess(float(np.abs(got - expected).max()), bound, (bits, level))

    def test_layer_by_layer_reference_equals_transformers(self):
        llama = write_checkpoint(self.root / "llama", "llama")["checkpoint"]
        for checkpoint in (self.checkpoint, llama):
            config = json.loads((checkpoint / "config.json").read_text())
            tokens = probe_tokens(read_spec(config))
            logits, hidden = reference_outputs(config, ShardedTensors(checkpoint), tokens)
            with torch.no_grad():
                out = load_reference_model(checkpoint)(input_ids=torch.from_numpy(tokens)[None],
                                                       output_hidden_states=True)
            np.testing.assert_allclose(logits, out.logits[0, PROBE_PROMPT - 1:].numpy(), atol=1e-4)
            np.testing.assert_allclose(hidden, out.hidden_states[-1][0, PROBE_PROMPT - 1:].numpy(), atol=1e-4)

    def test_fp16_export_measures_its_quantized_variants_against_fp32(self):
        fragments = export_language_model(self.checkpoint, self.root / "out-fp16", "fp16",
                                          ShardedTensors(self.checkpoint), self.config)
        variants = fragments["llm"]["variants"]
        self.assertEqual(sorted(variants), ["fp16", "int4", "int8"])
        self.assertEqual(fragments["llm"]["decoder"], "onnx/llm_decoder_fp16.onnx")
        errors = {}
        for name, entry in variants.items():
            quality = entry["quality_vs_fp32"]
            self.assertIn("fp32", quality["probe"])
            errors[name] = quality["relative_logit_rmse"]
            self.assertGreater(errors[name], 0)
        # Fewer bits, larger error; each quantized variant reads the fp16 embedding table.
        self.assertLess(errors["fp16"], errors["int8"])
        self.assertLess(errors["int8"], errors["int4"])
        self.assertEqual(variants["int4"]["embed"], "onnx/llm_embed_tokens_fp16.onnx")
        self.assertLess(variants["int4"]["weight_bytes"], variants["int8"]["weight_bytes"] * 0.6)


class PromptTokenizationTest(unittest.TestCase):
    """tokenizer_image_token as llava/mm_utils.py: one BOS kept from the first chunk, one image index."""

    def tokenizer(self, architecture):
        tokenizer = build_tokenizer(architecture, 480)
        bos = "<s>" if architecture == "phi3" else "<|begin_of_text|>"
        return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=bos)

    def test_phi3_prompt(self):
        tokenizer = self.tokenizer("phi3")
        ids = tokenizer_image_token(chat_template("phi3").replace("{question}", "what colour?"), tokenizer)
        self.assertEqual(ids.count(IMAGE_TOKEN_INDEX), 1)
        self.assertEqual(ids.count(tokenizer.bos_token_id), 1)
        self.assertEqual(ids[0], tokenizer.bos_token_id)

    def test_llama3_prompt_keeps_florence_vls_double_bos(self):
        # The llama3 template starts with <|begin_of_text|> and the tokenizer adds another: Florence-VL trained so.
        tokenizer = self.tokenizer("llama")
        ids = tokenizer_image_token(chat_template("llama3").replace("{question}", "what colour?"), tokenizer)
        self.assertEqual(ids[:2], [tokenizer.bos_token_id] * 2)
        self.assertEqual(ids.count(tokenizer.bos_token_id), 2)
        self.assertEqual(ids.count(IMAGE_TOKEN_INDEX), 1)


if __name__ == "__main__":
    unittest.main()
