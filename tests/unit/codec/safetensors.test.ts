import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensorsHeader,
  SafetensorsError,
  type SafetensorsTensor,
} from "~/lib/codec";
import { fp32ToFp16 } from "~/lib/tensor";

const tensors: Record<string, SafetensorsTensor> = {
  "depth:V": { dtype: "F16", shape: [2, 3], data: fp32ToFp16([1, -2, 0.5, 65504, 0, -0.25]) },
  pooled: { dtype: "F32", shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) },
  exact: { dtype: "F64", shape: [1, 2], data: Float64Array.from([Math.PI, -Math.E]) },
  ids: { dtype: "I64", shape: [2], data: BigInt64Array.from([-1n, 2n ** 40n]) },
  counts: { dtype: "I32", shape: [], data: Int32Array.from([7]) },
  mask: { dtype: "U8", shape: [3], data: Uint8Array.from([0, 1, 255]) },
  empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
};

function headerText(bytes: Uint8Array): string {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

/** A file with a hand-written header and `dataBytes` zero bytes of data. */
function rawFile(header: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return (error as SafetensorsError).code;
  }
  return undefined;
}

describe("safetensors", () => {
  it("round-trips every dtype, shape and the metadata", () => {
    const bytes = encodeSafetensors(tensors, { format: "pt", run: "r1" });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: "pt", run: "r1" });
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = decoded.tensors[name] as SafetensorsTensor;
      expect(got.dtype).toBe(tensor.dtype);
      expect(got.shape).toEqual(tensor.shape);
      expect(got.data).toBeInstanceOf(tensor.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(tensor.data as ArrayLike<number | bigint>),
      );
    }
  });

  it("writes the layout the spec describes", () => {
    const bytes = encodeSafetensors(tensors, { format: "pt" });
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + length) % 8).toBe(0);
    const text = headerText(bytes);
    expect(text.trimEnd()).toBe(text.trimEnd().trim());
    expect(text.length - text.trimEnd().length).toBeLessThan(8); // space padding only
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ format: "pt" });
    expect(header["depth:V"]).toEqual({ dtype: "F16", shape: [2, 3], data_offsets: expect.any(Array) });
    // Offsets tile the buffer, larger elements first so every tensor is aligned to its element size.
    const entries = Object.entries(header)
      .filter(([name]) => name !== "__metadata__")
      .map(([name, e]) => ({ name, ...(e as { dtype: string; data_offsets: [number, number] }) }))
      .sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
    expect(entries.map((e) => e.name)).toEqual([
      "exact",
      "ids",
      "counts",
      "empty",
      "pooled",
      "depth:V",
      "mask",
    ]);
    let end = 0;
    for (const entry of entries) {
      expect(entry.data_offsets[0]).toBe(end);
      end = entry.data_offsets[1];
    }
    expect(8 + length + end).toBe(bytes.length);
    // Data is little-endian: F64 π first.
    expect(new DataView(bytes.buffer).getFloat64(8 + length, true)).toBe(Math.PI);
  });

  it("reads the header from a prefix of the file", () => {
    const bytes = encodeSafetensors(tensors);
    const full = parseSafetensorsHeader(bytes);
    const prefix = parseSafetensorsHeader(bytes.subarray(0, full.dataStart), bytes.length);
    expect(prefix.entries).toEqual(full.entries);
    expect(prefix.metadata).toEqual({});
  });

  it("rejects bad inputs when encoding", () => {
    const wrongType = { x: { dtype: "F32", shape: [2], data: new Float64Array(2) } } as never;
    expect(codeOf(() => encodeSafetensors(wrongType))).toBe("invalid-tensor");
    const wrongSize = { x: { dtype: "F32", shape: [3], data: new Float32Array(2) } } as never;
    expect(codeOf(() => encodeSafetensors(wrongSize))).toBe("invalid-tensor");
    const reserved = { __metadata__: { dtype: "U8", shape: [1], data: new Uint8Array(1) } } as never;
    expect(codeOf(() => encodeSafetensors(reserved))).toBe("invalid-tensor");
  });

  it("rejects truncated and corrupt files with typed errors", () => {
    const bytes = encodeSafetensors(tensors);
    expect(codeOf(() => decodeSafetensors(bytes.subarray(0, 5)))).toBe("truncated");
    expect(codeOf(() => decodeSafetensors(bytes.subarray(0, 40)))).toBe("truncated");
    expect(codeOf(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1)))).toBe("truncated");
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(codeOf(() => decodeSafetensors(huge))).toBe("invalid-header");
    expect(codeOf(() => decodeSafetensors(rawFile("[1, 2]", 0)))).toBe("invalid-header");
    expect(codeOf(() => decodeSafetensors(rawFile('{"a": ', 0)))).toBe("invalid-header");
    expect(codeOf(() => decodeSafetensors(rawFile('{"__metadata__": {"k": 1}}', 0)))).toBe("invalid-header");
  });

  it("rejects offsets that do not tile the buffer and sizes that do not match", () => {
    const tensor = (offsets: [number, number], shape = [2], dtype = "F32") =>
      JSON.stringify({ dtype, shape, data_offsets: offsets });
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8])}}`, 8)))).toBeUndefined();
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([4, 12])}}`, 12)))).toBe("invalid-offsets");
    expect(
      codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8])}, "b": ${tensor([4, 12])}}`, 12))),
    ).toBe("invalid-offsets");
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8])}}`, 9)))).toBe("invalid-offsets");
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8])}}`, 4)))).toBe("truncated");
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 12])}}`, 12)))).toBe("invalid-tensor");
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8], [2], "BF16")}}`, 8)))).toBe(
      "invalid-tensor",
    );
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([0, 8], [-2])}}`, 8)))).toBe(
      "invalid-tensor",
    );
    expect(codeOf(() => decodeSafetensors(rawFile(`{"a": ${tensor([8, 0])}}`, 8)))).toBe("invalid-offsets");
  });
});
