"""Initializers written as they are produced: inline for small graphs, else appended to ONNX external data, so a
large checkpoint passes through memory one tensor at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, numpy_helper

# protobuf cannot serialise a message over 2 GiB; stay clear of it with the graph's own bytes on top.
INLINE_LIMIT_BYTES = 1_800_000_000
# Page-aligned offsets let ONNX Runtime map the file instead of copying it.
ALIGNMENT = 4096
# Shape and axis constants stay in the graph: ONNX shape inference reads them and cannot read external data.
SMALL_BYTES = 1024


class WeightSink:
    def __init__(self, graph_path: Path, external: bool):
        self.initializers: list[TensorProto] = []
        self.external_path = graph_path.with_name(graph_path.name + "_data") if external else None
        self._file = open(self.external_path, "wb") if self.external_path else None  # noqa: SIM115
        self._offset = 0
        self.bytes = 0

    def add(self, name: str, array: np.ndarray) -> str:
        array = np.ascontiguousarray(array)
        self.bytes += array.nbytes
        if self._file is None or array.nbytes < SMALL_BYTES:
            self.initializers.append(numpy_helper.from_array(array, name))
            return name
        tensor = numpy_helper.from_array(array[:0].reshape((0,)), name)
        tensor.ClearField("raw_data")
        tensor.dims[:] = list(array.shape)
        pad = (-self._offset) % ALIGNMENT
        self._file.write(b"\0" * pad)
        self._offset += pad
        self._file.write(array.tobytes())
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (
            ("location", self.external_path.name),
            ("offset", str(self._offset)),
            ("length", str(array.nbytes)),
        ):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        self._offset += array.nbytes
        self.initializers.append(tensor)
        return name

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
