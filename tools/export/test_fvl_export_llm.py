"""Unit tests of the language-model export (fvl_export.llm): typed errors for bad checkpoints, the 8-bit
weight layout, and Florence-VL's prompt tokenization rule.

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
from fvl_export.llm.quantize import ZERO_POINT, quantize_blockwise
from fvl_export.llm.spec import read_spec
from fvl_export.llm.testing import build_tokenizer, write_checkpoint

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

    def test_int8_blocks_dequantize_within_half_a_step(self):
        weight = np.random.default_rng(0).standard_normal((16, 70)).astype(np.float32)
        packed, scales = quantize_blockwise(weight, 32)
        self.assertEqual(packed.shape, (16, 3, 32))
        restored = ((packed.astype(np.float32) - ZERO_POINT) * scales.reshape(16, 3, 1)).reshape(16, 96)[:, :70]
        step = np.repeat(scales.reshape(16, 3), 32, axis=1)[:, :70]
        self.assertTrue(np.all(np.abs(restored - weight) <= step / 2 + 1e-7))


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
