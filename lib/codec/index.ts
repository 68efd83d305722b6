export type { Dtype, DtypeArrays, DtypedArray } from "./dtype";
export { decodeNpy, encodeNpy, NpyError } from "./npy";
export {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensorsHeader,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsErrorCode,
  type SafetensorsHeader,
  type SafetensorsTensor,
} from "./safetensors";
