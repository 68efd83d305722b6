import { SuperJSON } from "superjson";
import { base64OfTypedArray, bytesOfBase64 } from "~/lib/codec/base64";

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
      serialize: (value: TypedArray) => base64OfTypedArray(value),
      deserialize: (text: string) => {
        const bytes = bytesOfBase64(text);
        return new ctor(bytes.buffer, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
      },
    },
    name,
  );
}

/**
 * The shared secret between the inference server and its clients (INFERENCE_TOKEN): clients send it as a bearer
 * token on every request; the server answers 401 to any request without it (server/inference/http-server.ts).
 */
export function inferenceAuthHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
