import { SuperJSON } from "superjson";

/**
 * superjson with typed arrays: features and pixels cross the web ↔ inference boundary as base64 of their bytes
 * (little-endian, as every supported platform is) instead of JSON number arrays.
 */
const TYPED_ARRAYS = { Float32Array, Uint8Array, Uint16Array } as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

export const transport = new SuperJSON();

type TypedArray = Float32Array | Uint8Array | Uint16Array;

for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) {
  const ctor = TYPED_ARRAYS[name];
  transport.registerCustom<TypedArray, string>(
    {
      isApplicable: (value: unknown): value is TypedArray => value instanceof ctor,
      serialize: (value: TypedArray) =>
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
      deserialize: (text: string) => {
        const bytes = Buffer.from(text, "base64");
        // Copy into a fresh, aligned buffer: Buffer pools may start at an odd offset.
        const aligned = new Uint8Array(bytes.byteLength);
        aligned.set(bytes);
        return new ctor(aligned.buffer, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
      },
    },
    name,
  );
}
