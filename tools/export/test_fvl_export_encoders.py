"""Comparison-encoder export (fvl_export/encoders.py): shrunk random CLIP, SigLIP and DINOv2 checkpoints exported
to the onnx-community layout; onnxruntime on the exported graph against transformers on the processor's pixels
(max abs diff <= 1e-4 for last_hidden_state and pooler_output), and the exporter's typed errors.

Run: tools/export/.venv/bin/python -m unittest -v test_fvl_export_encoders
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from PIL import Image

from fvl_export.encoders import GRAPH_FILES, encoder_family
from fvl_export.errors import MissingProcessorFilesError, MissingWeightsError, OutputFolderError
from fvl_export.export import export_checkpoint
from fvl_export.testing.encoder_fixtures import FAMILIES, write_encoder_checkpoint
from fvl_export.testing.encoder_reference import reference

torch.set_num_threads(2)
TOLERANCE = 1e-4
SCENE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "florence-vl-mini" / "images" / "test-0000.png"
# Tokens of the 224² input: CLIP and DINOv2 a class token before 14² / 16² patches, SigLIP patches only.
TOKENS = {"clip": 197, "siglip": 196, "dinov2": 257}


class EncoderExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="fvl-encoder-export-"))
        # A wide image made of the scene, so the shortest-edge resize and the center crop both matter.
        scene = Image.open(SCENE).convert("RGB")
        wide = Image.new("RGB", (scene.width * 2 + 37, scene.height))
        wide.paste(scene, (0, 0))
        wide.paste(scene.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (scene.width + 37, 0))
        cls.images = [SCENE, cls.root / "wide.png"]
        wide.save(cls.images[1])
        cls.checkpoints = {f: write_encoder_checkpoint(f, cls.root / "checkpoints" / f, seed=5) for f in FAMILIES}
        cls.reports = {f: export_checkpoint(cls.checkpoints[f], cls.root / "models" / f, dtypes=["fp32"],
                                            log=lambda _: None) for f in FAMILIES}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def copy(self, source: Path, name: str) -> Path:
        target = self.root / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        return target

    def test_writes_the_onnx_community_layout(self):
        for family in FAMILIES:
            out = self.root / "models" / family
            self.assertEqual(sorted(p.name for p in out.iterdir()), ["config.json", "onnx", "preprocessor_config.json"])
            self.assertEqual(self.reports[family]["graphs"], [GRAPH_FILES[family]])
            self.assertEqual(self.reports[family]["format"], f"encoder:{family}")
            self.assertEqual(encoder_family(out), family)
            session = ort.InferenceSession(str(out / GRAPH_FILES[family]), providers=["CPUExecutionProvider"])
            self.assertEqual([i.name for i in session.get_inputs()], ["pixel_values"])
            shapes = {o.name: o.shape for o in session.get_outputs()}
            self.assertEqual(shapes["last_hidden_state"][1:], [TOKENS[family], 64])
            self.assertEqual(shapes["pooler_output"][1:], [64])

    def test_outputs_match_transformers_on_the_processors_pixels(self):
        for family in FAMILIES:
            ref_dir = self.root / "reference" / family
            report = reference(self.checkpoints[family], self.images, ref_dir)
            self.assertEqual(report["backend"], "pil")
            session = ort.InferenceSession(str(self.root / "models" / family / GRAPH_FILES[family]),
                                           providers=["CPUExecutionProvider"])
            read = lambda name, dims: np.fromfile(ref_dir / f"{name}.f32", dtype="<f4").reshape(dims)  # noqa: E731
            pixels = np.stack([read(f"pixel_values.{i}", im["pixel_dims"]) for i, im in enumerate(report["images"])])
            self.assertEqual(pixels.shape, (2, 3, 224, 224))
            hidden, pooled = session.run(["last_hidden_state", "pooler_output"], {"pixel_values": pixels})
            for i, image in enumerate(report["images"]):
                with self.subTest(family=family, image=i):
                    expected_hidden = read(f"last_hidden_state.{i}", image["hidden_dims"])
                    expected_pooled = read(f"pooler_output.{i}", image["pooled_dims"])
                    self.assertEqual(expected_hidden.shape, (TOKENS[family], 64))
                    self.assertLessEqual(float(np.abs(hidden[i] - expected_hidden).max()), TOLERANCE)
                    self.assertLessEqual(float(np.abs(pooled[i] - expected_pooled).max()), TOLERANCE)
                    # Random weights still give outputs that differ per image (a constant graph would pass above).
            self.assertGreater(float(np.abs(pooled[0] - pooled[1]).max()), 1e-3)

    def test_missing_preprocessor_config(self):
        folder = self.copy(self.checkpoints["clip"], "no-processor")
        (folder / "preprocessor_config.json").unlink()
        with self.assertRaisesRegex(MissingProcessorFilesError, "no preprocessor_config.json"):
            export_checkpoint(folder, self.root / "out-no-processor", dtypes=["fp32"], log=lambda _: None)

    def test_missing_weights(self):
        folder = self.copy(self.checkpoints["dinov2"], "no-weights")
        (folder / "model.safetensors").unlink()
        with self.assertRaisesRegex(MissingWeightsError, "no weights"):
            export_checkpoint(folder, self.root / "out-no-weights", dtypes=["fp32"], log=lambda _: None)

    def test_weights_of_another_tower(self):
        folder = self.copy(self.checkpoints["siglip"], "wrong-tower")
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, "model_type": "dinov2"}))
        with self.assertRaises(MissingWeightsError):
            export_checkpoint(folder, self.root / "out-wrong-tower", dtypes=["fp32"], log=lambda _: None)

    def test_refuses_a_folder_that_is_not_an_encoder_export_and_fp16(self):
        occupied = self.root / "occupied"
        occupied.mkdir(exist_ok=True)
        (occupied / "notes.txt").write_text("keep me")
        with self.assertRaisesRegex(OutputFolderError, "not an earlier encoder export"):
            export_checkpoint(self.checkpoints["clip"], occupied, dtypes=["fp32"], log=lambda _: None)
        self.assertTrue((occupied / "notes.txt").is_file())
        with self.assertRaisesRegex(OutputFolderError, "fp32 only"):
            export_checkpoint(self.checkpoints["clip"], self.root / "out-fp16", dtypes=["fp16"], log=lambda _: None)


if __name__ == "__main__":
    unittest.main()
