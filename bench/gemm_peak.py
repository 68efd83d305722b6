"""GEMM peak of this machine for bench/encode.ts: NumPy's float32 matmul (OpenBLAS) at square sizes up to 2048,
timed here, and a one-node ONNX MatMul graph (symbolic [M, K] x [K, N]) written for bench/encode.ts to time in
onnxruntime-node. Prints one JSON line. Run with tools/export/.venv/bin/python (numpy and onnx pinned there).
"""

import argparse
import json
import math
import statistics
import time

import numpy as np
import onnx
from onnx import TensorProto, helper


# Shortest timed sample: a 256² product takes well under a millisecond, and single products that short measure
# the scheduler's luck on a shared machine rather than the library, so small sizes repeat inside one sample.
MIN_SAMPLE_S = 0.05


def numpy_gflops(size: int, repeats: int) -> float:
    rng = np.random.default_rng(size)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b  # warm-up: thread pool start and page faults are not part of the peak
    started = time.perf_counter()
    a @ b
    inner = max(1, math.ceil(MIN_SAMPLE_S / (time.perf_counter() - started)))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(inner):
            a @ b
        times.append((time.perf_counter() - started) / inner)
    return 2 * size**3 / statistics.median(times) / 1e9


def write_matmul_graph(path: str) -> None:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "gemm_peak",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["M", "K"]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["K", "N"]),
        ],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["M", "N"])],
    )
    # Opset 17 / IR 8: read by every onnxruntime the project pins.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True, help="comma-separated square sizes")
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--onnx", required=True, help="where to write the MatMul graph")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    write_matmul_graph(args.onnx)
    print(json.dumps({"numpy": np.__version__, "gflops": {s: numpy_gflops(s, args.repeats) for s in sizes}}))


if __name__ == "__main__":
    main()
