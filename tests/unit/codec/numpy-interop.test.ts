import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy, decodeSafetensors, encodeNpy, encodeSafetensors } from "~/lib/codec";
import { fp16ToFp32, fp32ToFp16 } from "~/lib/tensor";

// Debian's interpreter, which has numpy (scripts/install-system-deps.sh); the `python3` on PATH may not.
const PYTHON = "/usr/bin/python3";

// Reads our files with numpy alone (the `safetensors` package is not installed), prints JSON summaries, and
// writes numpy's own .npy so we can decode it in return.
const READER = `
import json, sys, numpy as np
folder = sys.argv[1]
out = {}
arr = np.load(folder + "/values.npy")
out["npy"] = {"dtype": arr.dtype.str, "shape": list(arr.shape), "values": arr.astype(np.float64).ravel().tolist()}
raw = open(folder + "/features.safetensors", "rb").read()
n = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + n])
types = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I64": "<i8"}
st = {}
for name, e in header.items():
    if name == "__metadata__":
        continue
    b, end = e["data_offsets"]
    a = np.frombuffer(raw[8 + n + b: 8 + n + end], dtype=types[e["dtype"]]).reshape(e["shape"])
    st[name] = {"shape": list(a.shape), "values": a.astype(np.float64).ravel().tolist()}
out["safetensors"] = st
out["metadata"] = header.get("__metadata__")
np.save(folder + "/from-numpy.npy", np.arange(6, dtype=np.float16).reshape(2, 3) / 4)
st_out = {"half": np.array([[1.5, -2.0]], dtype=np.float16), "wide": np.arange(3, dtype=np.float64) / 3}
meta = json.dumps({"__metadata__": {"by": "numpy"}, "half": {"dtype": "F16", "shape": [1, 2], "data_offsets": [24, 28]},
                   "wide": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}}).encode()
meta += b" " * (-len(meta) % 8)
with open(folder + "/from-numpy.safetensors", "wb") as f:
    f.write(len(meta).to_bytes(8, "little") + meta + st_out["wide"].tobytes() + st_out["half"].tobytes())
print(json.dumps(out))
`;

describe("files numpy reads and writes", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "lens-codec-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("agree value for value in both directions", () => {
    const values = Float32Array.from([0.1, -2.5, 3e-5, 1e4, 0, 7]);
    writeFileSync(path.join(folder, "values.npy"), encodeNpy({ dtype: "F32", shape: [2, 3], data: values }));
    const half = fp32ToFp16([0.333, -1, 100.5, 2 ** -20]);
    const wide = Float64Array.from([Math.PI, -1e-200]);
    const ids = BigInt64Array.from([-3n, 123456789012n]);
    writeFileSync(
      path.join(folder, "features.safetensors"),
      encodeSafetensors(
        {
          half: { dtype: "F16", shape: [2, 2], data: half },
          wide: { dtype: "F64", shape: [2], data: wide },
          ids: { dtype: "I64", shape: [2, 1], data: ids },
          single: { dtype: "F32", shape: [6], data: values },
        },
        { source: "lens" },
      ),
    );

    const report = JSON.parse(execFileSync(PYTHON, ["-c", READER, folder], { encoding: "utf8" }));
    expect(report.npy.dtype).toBe("<f4");
    expect(report.npy.shape).toEqual([2, 3]);
    expect(report.npy.values).toEqual(Array.from(values));
    expect(report.metadata).toEqual({ source: "lens" });
    expect(report.safetensors.half.shape).toEqual([2, 2]);
    expect(report.safetensors.half.values).toEqual(Array.from(fp16ToFp32(half)));
    expect(report.safetensors.wide.values).toEqual(Array.from(wide));
    expect(report.safetensors.ids.values).toEqual([-3, 123456789012]);
    expect(report.safetensors.single.values).toEqual(Array.from(values));

    const fromNumpy = decodeNpy(readFileSync(path.join(folder, "from-numpy.npy")));
    expect(fromNumpy.dtype).toBe("F16");
    expect(fromNumpy.shape).toEqual([2, 3]);
    expect(Array.from(fromNumpy.data as Uint16Array)).toEqual(
      Array.from(fp32ToFp16([0, 0.25, 0.5, 0.75, 1, 1.25])),
    );
    const st = decodeSafetensors(readFileSync(path.join(folder, "from-numpy.safetensors")));
    expect(st.metadata).toEqual({ by: "numpy" });
    expect(Array.from(st.tensors.wide?.data as Float64Array)).toEqual([0, 1 / 3, 2 / 3]);
    expect(Array.from(st.tensors.half?.data as Uint16Array)).toEqual(Array.from(fp32ToFp16([1.5, -2])));
  });
});
