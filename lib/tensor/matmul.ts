import { allocLike, type FloatArray, matrixDims, type Tensor, TensorShapeError } from "./tensor";

// Products accumulate in float64 whatever the storage type: CKA, PCA and the alignment gradient are compared
// with NumPy at 1e-6 relative, which float32 running sums over thousands of rows would not hold.

/** `A B` for A [m, k] and B [k, n] → [m, n] (type of A). Loop order i-k-j streams rows of B. */
export function matmul<T extends FloatArray>(a: Tensor<T>, b: Tensor<FloatArray>): Tensor<T> {
  const [m, k] = matrixDims(a, "A");
  const [kb, n] = matrixDims(b, "B");
  if (k !== kb) throw new TensorShapeError(`matmul: A is [${m}, ${k}] but B is [${kb}, ${n}]`);
  const out = allocLike(a.data, m * n);
  const row = new Float64Array(n);
  const aData = a.data;
  const bData = b.data;
  for (let i = 0; i < m; i++) {
    row.fill(0);
    const aOffset = i * k;
    for (let p = 0; p < k; p++) {
      const aip = aData[aOffset + p] as number;
      if (aip === 0) continue;
      const bOffset = p * n;
      for (let j = 0; j < n; j++) row[j] = (row[j] as number) + aip * (bData[bOffset + j] as number);
    }
    out.set(row, i * n);
  }
  return { data: out, dims: [m, n] };
}

/** `A Bᵀ` for A [m, k] and B [n, k] → [m, n]: every entry is a dot product of two contiguous rows. */
export function matmulTransposeB<T extends FloatArray>(a: Tensor<T>, b: Tensor<FloatArray>): Tensor<T> {
  const [m, k] = matrixDims(a, "A");
  const [n, kb] = matrixDims(b, "B");
  if (k !== kb) throw new TensorShapeError(`matmulTransposeB: A is [${m}, ${k}] but B is [${n}, ${kb}]`);
  const out = allocLike(a.data, m * n);
  const aData = a.data;
  const bData = b.data;
  // Four rows of B per pass reuse each loaded element of A four times.
  const nBlocked = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const aOffset = i * k;
    const outOffset = i * n;
    for (let j = 0; j < nBlocked; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const aip = aData[aOffset + p] as number;
        s0 += aip * (bData[b0 + p] as number);
        s1 += aip * (bData[b1 + p] as number);
        s2 += aip * (bData[b2 + p] as number);
        s3 += aip * (bData[b3 + p] as number);
      }
      out[outOffset + j] = s0;
      out[outOffset + j + 1] = s1;
      out[outOffset + j + 2] = s2;
      out[outOffset + j + 3] = s3;
    }
    for (let j = nBlocked; j < n; j++) {
      const bOffset = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (aData[aOffset + p] as number) * (bData[bOffset + p] as number);
      out[outOffset + j] = sum;
    }
  }
  return { data: out, dims: [m, n] };
}

/** `Aᵀ B` for A [k, m] and B [k, n] → [m, n] (float64): Gram/covariance matrices and weight gradients. */
export function matmulTransposeA(a: Tensor<FloatArray>, b: Tensor<FloatArray>): Tensor<Float64Array> {
  const [k, m] = matrixDims(a, "A");
  const [kb, n] = matrixDims(b, "B");
  if (k !== kb) throw new TensorShapeError(`matmulTransposeA: A is [${k}, ${m}] but B is [${kb}, ${n}]`);
  const out = new Float64Array(m * n);
  const aData = a.data;
  const bData = b.data;
  for (let p = 0; p < k; p++) {
    const aOffset = p * m;
    const bOffset = p * n;
    for (let i = 0; i < m; i++) {
      const api = aData[aOffset + i] as number;
      if (api === 0) continue;
      const outOffset = i * n;
      for (let j = 0; j < n; j++)
        out[outOffset + j] = (out[outOffset + j] as number) + api * (bData[bOffset + j] as number);
    }
  }
  return { data: out, dims: [m, n] };
}
