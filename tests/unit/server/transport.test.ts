import { describe, expect, it } from "vitest";
import { transport } from "~/server/inference/transport";

describe("inference transport (superjson with typed arrays)", () => {
  it("round-trips typed arrays as bytes, including views at odd offsets", () => {
    const backing = new Uint8Array(9).map((_, i) => i * 17);
    const value = {
      features: new Float32Array([1.5, -2.25, Number.NaN, 3.4028234663852886e38]),
      half: new Uint16Array([0x3c00, 0xc000]),
      bytes: backing.subarray(1, 8),
      nested: [{ data: new Float32Array([0.1]) }],
    };
    const decoded = transport.parse<typeof value>(transport.stringify(value));
    expect(decoded.features).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded.features)).toEqual(Array.from(value.features));
    expect(Array.from(decoded.half)).toEqual([0x3c00, 0xc000]);
    expect(decoded.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.bytes)).toEqual(Array.from(backing.subarray(1, 8)));
    expect(decoded.nested[0]?.data[0]).toBeCloseTo(0.1, 7);
  });

  it("sends far fewer characters than a JSON number array", () => {
    const features = new Float32Array(145 * 128).map((_, i) => Math.sin(i));
    expect(transport.stringify({ features }).length).toBeLessThan(
      JSON.stringify(Array.from(features)).length / 2,
    );
  });
});
