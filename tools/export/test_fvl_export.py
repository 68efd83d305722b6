"""Unit tests of the checkpoint exporter: format detection, the remote-code mapping, typed errors, external data.

Run: tools/export/.venv/bin/python -m unittest discover -s tools/export -p 'test_*.py'
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

import onnxruntime as ort
import torch

from fvl_export.checkpoint import detect_format, load_checkpoint
from fvl_export.errors import (LanguageModelOnlyError, MissingProcessorFilesError, MissingWeightsError,
                               TruncatedShardError, UnknownFormatError, WeightShapeError)
from fvl_export.export import export_checkpoint
from fvl_export.testing.fixtures import random_model, write_florence_vl, write_native, write_remote_code

torch.set_num_threads(2)


class ExporterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="fvl-export-test-"))
        cls.model = random_model("base", seed=3)
        cls.native = write_native(cls.model, cls.root / "native")
        cls.remote = write_remote_code(cls.model, cls.root / "remote-code")
        cls.florence_vl = write_florence_vl(cls.model, cls.root / "florence-vl")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def copy(self, source: Path, name: str) -> Path:
        target = self.root / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        return target

    def test_detects_the_three_formats_and_loads_the_same_weights(self):
        expected = self.model.state_dict()
        for folder, kind in ((self.native, "hf-native"), (self.remote, "remote-code"),
                             (self.florence_vl, "florence-vl")):
            self.assertEqual(detect_format(folder), kind)
            checkpoint = load_checkpoint(folder)
            loaded = checkpoint.model.state_dict()
            for name, tensor in expected.items():
                self.assertTrue(torch.equal(loaded[name], tensor), f"{kind}: {name}")
        projector = load_checkpoint(self.florence_vl).projector
        self.assertEqual((projector.type, projector.input_dims, projector.output_dims), ("mlp3x_gelu", 512, 192))

    def test_unknown_format(self):
        folder = self.root / "bert"
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
        with self.assertRaisesRegex(UnknownFormatError, "model_type 'bert'"):
            load_checkpoint(folder)
        with self.assertRaisesRegex(UnknownFormatError, "no config.json"):
            load_checkpoint(self.root)

    def test_missing_weight_files(self):
        folder = self.copy(self.native, "no-weights")
        (folder / "model.safetensors").unlink()
        with self.assertRaisesRegex(MissingWeightsError, "no weights"):
            load_checkpoint(folder)
        sharded = self.copy(self.florence_vl, "missing-shard")
        (sharded / "model-00002-of-00002.safetensors").unlink()
        with self.assertRaisesRegex(MissingWeightsError, "1 are missing.*model-00002-of-00002"):
            load_checkpoint(sharded)

    def test_weight_shape_that_does_not_fit_the_architecture(self):
        folder = self.copy(self.remote, "wrong-shape")
        config = json.loads((folder / "config.json").read_text())
        config["text_config"]["encoder_ffn_dim"] = 256
        (folder / "config.json").write_text(json.dumps(config))
        with self.assertRaisesRegex(WeightShapeError, r"encoder\.layers\.0\.fc1\.weight has shape \[512, 128\].*"
                                                      r"needs \[256, 128\]"):
            load_checkpoint(folder)

    def test_truncated_safetensors_shard(self):
        folder = self.copy(self.florence_vl, "truncated")
        shard = folder / "model-00001-of-00002.safetensors"
        os.truncate(shard, shard.stat().st_size // 2)
        with self.assertRaisesRegex(TruncatedShardError, "model-00001-of-00002.safetensors is truncated"):
            load_checkpoint(folder)

    def test_language_model_only_folders(self):
        phi = self.root / "phi3"
        phi.mkdir(exist_ok=True)
        (phi / "config.json").write_text(json.dumps({"model_type": "phi3", "hidden_size": 64}))
        with self.assertRaisesRegex(LanguageModelOnlyError, "phi3 language model without a Florence-2 vision tower"):
            load_checkpoint(phi)
        llava = self.root / "llava-without-tower"
        shutil.rmtree(llava, ignore_errors=True)
        llava.mkdir()
        shutil.copy(self.florence_vl / "config.json", llava / "config.json")
        from safetensors.torch import save_file
        save_file({"model.embed_tokens.weight": torch.zeros(4, 8)}, str(llava / "model.safetensors"))
        with self.assertRaisesRegex(LanguageModelOnlyError, "without vision-tower weights"):
            load_checkpoint(llava)

    def test_florence_vl_needs_the_tower_tokenizer(self):
        with self.assertRaisesRegex(MissingProcessorFilesError, "--tower-files"):
            export_checkpoint(self.florence_vl, self.root / "out-no-tokenizer", dtypes=["fp32"], log=lambda _: None)

    def test_external_data_above_the_threshold_loads_by_path(self):
        out = self.root / "external"
        report = export_checkpoint(self.native, out, dtypes=["fp32"], external_data_bytes=8 * 1024**2,
                                   log=lambda _: None)
        manifest = json.loads((out / "fvl.json").read_text())
        # The embedding table (51289 x 128 fp32 = 26 MB) passes 8 MB; the encoder (2 MB) stays inline.
        self.assertIn("onnx/embed_tokens.onnx_data", manifest["files"])
        self.assertNotIn("onnx/encoder_model.onnx_data", manifest["files"])
        self.assertLess((out / "onnx" / "embed_tokens.onnx").stat().st_size, 1024 * 1024)
        session = ort.InferenceSession(str(out / "onnx" / "embed_tokens.onnx"), providers=["CPUExecutionProvider"])
        (embeds,) = session.run(None, {"input_ids": [[0, 5, 2]]})
        expected = self.model.model.language_model.shared(torch.tensor([[0, 5, 2]])).detach().numpy()
        self.assertLess(abs(embeds - expected).max(), 1e-6)
        self.assertEqual(report["format"], "hf-native")


if __name__ == "__main__":
    unittest.main()
