// Implicit QL with Wilkinson-style shifts for a symmetric tridiagonal matrix (the `tql2` procedure of
// EISPACK / JAMA, written afresh here): robust, O(n²) for values and O(n³) with vectors, exact to rounding.

// Each eigenvalue converges in a handful of sweeps; this many means the input held NaN or infinity.
const MAX_SWEEPS_PER_EIGENVALUE = 60;
const EPSILON = 2 ** -52;

export interface TridiagonalEigen {
  values: Float64Array; // [n] ascending
  vectors: Float64Array; // [n, n] row-major, column i is the unit eigenvector of values[i]
}

/** Eigen-decomposition of the symmetric tridiagonal matrix with `diagonal` [n] and `offDiagonal` [n-1]. */
export function tridiagonalEigen(diagonal: Float64Array, offDiagonal: Float64Array): TridiagonalEigen {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(n);
  e.set(offDiagonal.subarray(0, n - 1));
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let shiftSum = 0;
  let scale = 0;
  for (let l = 0; l < n; l++) {
    scale = Math.max(scale, Math.abs(d[l] as number) + Math.abs(e[l] as number));
    let m = l;
    while (m < n - 1 && Math.abs(e[m] as number) > EPSILON * scale) m++;
    let sweeps = 0;
    while (m > l && Math.abs(e[l] as number) > EPSILON * scale) {
      if (++sweeps > MAX_SWEEPS_PER_EIGENVALUE)
        throw new Error("tridiagonalEigen did not converge (NaN or inf input?)");
      // Shift from the leading 2×2 block.
      const g = d[l] as number;
      let p = ((d[l + 1] as number) - g) / (2 * (e[l] as number));
      let r = Math.hypot(p, 1);
      if (p < 0) r = -r;
      d[l] = (e[l] as number) / (p + r);
      d[l + 1] = (e[l] as number) * (p + r);
      const dl1 = d[l + 1] as number;
      const h0 = g - (d[l] as number);
      for (let i = l + 2; i < n; i++) d[i] = (d[i] as number) - h0;
      shiftSum += h0;
      // Chase the bulge from m back to l with Givens rotations, accumulating them into v.
      p = d[m] as number;
      let c = 1;
      let c2 = 1;
      let c3 = 1;
      const el1 = e[l + 1] as number;
      let s = 0;
      let s2 = 0;
      for (let i = m - 1; i >= l; i--) {
        c3 = c2;
        c2 = c;
        s2 = s;
        const gi = c * (e[i] as number);
        const hi = c * p;
        r = Math.hypot(p, e[i] as number);
        e[i + 1] = s * r;
        s = (e[i] as number) / r;
        c = p / r;
        p = c * (d[i] as number) - s * gi;
        d[i + 1] = hi + s * (c * gi + s * (d[i] as number));
        for (let k = 0; k < n; k++) {
          const right = v[k * n + i + 1] as number;
          const left = v[k * n + i] as number;
          v[k * n + i + 1] = s * left + c * right;
          v[k * n + i] = c * left - s * right;
        }
      }
      p = (-s * s2 * c3 * el1 * (e[l] as number)) / dl1;
      e[l] = s * p;
      d[l] = c * p;
    }
    d[l] = (d[l] as number) + shiftSum;
    e[l] = 0;
  }
  return sortAscending(d, v);
}

function sortAscending(values: Float64Array, vectors: Float64Array): TridiagonalEigen {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const sortedValues = new Float64Array(n);
  const sortedVectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    sortedValues[to] = values[from] as number;
    for (let k = 0; k < n; k++) sortedVectors[k * n + to] = vectors[k * n + from] as number;
  });
  return { values: sortedValues, vectors: sortedVectors };
}
