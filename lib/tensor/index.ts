export { fp16ToFp32, fp32ToFp16, fromHalfBits, toHalfBits } from "./fp16";
export { matmul, matmulTransposeA, matmulTransposeB } from "./matmul";
export {
  centerColumns,
  columnMeans,
  concatRows,
  l2NormalizeRows,
  meanOfPatchTokens,
  meanPoolTokens,
  rowOf,
  selectRows,
  stackRows,
} from "./rows";
export {
  allocLike,
  createTensor,
  type FloatArray,
  matrixDims,
  sizeOfDims,
  type Tensor,
  type TensorData,
  TensorShapeError,
  toFloat32,
  toFloat64,
} from "./tensor";
