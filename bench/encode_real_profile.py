"""Where the time of bench/encode-real.ts goes: ONNX Runtime's per-operator profile of the Lens folder's vision and
encoder graphs (the same session options as the engine: all graph optimisations, THREADS intra-op threads, one
inter-op thread, no spinning, sequential execution, the default arena) beside PyTorch's profile of transformers
eager on the same checkpoint, both on the full-encode shapes (one 768² image; the three prompts as one [3, S, d]
encoder batch). Runs one warm-up and one profiled pass per graph.

usage: python bench/encode_real_profile.py MODEL_DIR CHECKPOINT THREADS OUT.json
"""

import collections
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from torch.profiler import ProfilerActivity, profile
from transformers import Florence2ForConditionalGeneration

TOP = 12
PROMPT_TOKENS = 14  # Florence-VL's prompts padded to 14 tokens


def ort_profile(graph: str, feeds: dict, output: str, threads: int) -> dict:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as scratch:
        options.profile_file_prefix = os.path.join(scratch, "ort")
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        session.run([output], feeds)  # warm-up
        started = time.perf_counter()
        session.run([output], feeds)
        seconds = time.perf_counter() - started
        with open(session.end_profiling()) as file:
            events = json.load(file)
    last_run = max(e["ts"] for e in events if e.get("name") == "model_run")
    by_op = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time") and event["ts"] >= last_run:
            by_op[event["args"].get("op_name", "?")] += event["dur"] / 1e6
    return {"seconds": seconds, "by_op_s": dict(by_op.most_common(TOP))}


def torch_profile(work) -> dict:
    with torch.no_grad():
        work()  # warm-up
        started = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            work()
        seconds = time.perf_counter() - started
    rows = sorted(prof.key_averages(), key=lambda r: r.self_cpu_time_total, reverse=True)[:TOP]
    return {"seconds": seconds, "by_op_s": {r.key: r.self_cpu_time_total / 1e6 for r in rows}}


def main() -> None:
    model_dir, checkpoint, threads, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    pixels = rng.standard_normal((1, 3, 768, 768), dtype=np.float32)
    model = Florence2ForConditionalGeneration.from_pretrained(checkpoint, attn_implementation="eager").eval()
    d = model.config.text_config.d_model
    rows = rng.standard_normal((3, 577 + PROMPT_TOKENS, d), dtype=np.float32)
    mask = np.ones((3, 577 + PROMPT_TOKENS), dtype=np.int64)
    result = {
        "threads": threads,
        "transformers_eager": {
            "vision": torch_profile(lambda: model.get_image_features(torch.from_numpy(pixels))),
            "encoder": torch_profile(lambda: model.get_encoder()(inputs_embeds=torch.from_numpy(rows),
                                                                 attention_mask=torch.from_numpy(mask))),
        },
    }
    del model
    result["onnxruntime"] = {
        "version": ort.__version__,
        "vision": ort_profile(f"{model_dir}/onnx/vision_encoder.onnx", {"pixel_values": pixels}, "image_features",
                              threads),
        "encoder": ort_profile(f"{model_dir}/onnx/encoder_model.onnx",
                               {"inputs_embeds": rows, "attention_mask": mask}, "last_hidden_state", threads),
    }
    with open(out, "w") as file:
        json.dump(result, file, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
