"""fvl_export: turns Florence-2 / Florence-VL checkpoint folders into Lens model folders (ONNX + fvl.json)."""

EXPORTER_VERSION = "1.0.0"
