import { createPrng } from "~/lib/analysis/prng";

// Lloyd iterations rarely move after ~20 on 2-D layouts; the cap bounds the cost at 200,000+ points.
const MAX_ITERATIONS = 30;

/**
 * Seeded k-means (k-means++ start, Lloyd iterations) on 2-D points [n, 2]: the explorer's "cluster" colouring,
 * computed on one panel's layout. Returns each point's cluster in 0..k-1; the same inputs give the same clusters.
 */
export function kmeans2d(coords: Float32Array, k: number, seed: number): Uint16Array {
  const n = coords.length / 2;
  const labels = new Uint16Array(n);
  if (n === 0 || k <= 1) return labels;
  const prng = createPrng(seed);
  const centres = new Float64Array(2 * Math.min(k, n));
  const count = centres.length / 2;
  const nearest = new Float64Array(n).fill(Infinity);
  let chosen = prng.nextInt(n);
  for (let c = 0; c < count; c++) {
    centres[2 * c] = coords[2 * chosen] as number;
    centres[2 * c + 1] = coords[2 * chosen + 1] as number;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dx = (coords[2 * i] as number) - (centres[2 * c] as number);
      const dy = (coords[2 * i + 1] as number) - (centres[2 * c + 1] as number);
      nearest[i] = Math.min(nearest[i] as number, dx * dx + dy * dy);
      total += nearest[i] as number;
    }
    // k-means++: the next centre is drawn with probability proportional to squared distance.
    let target = prng.next() * total;
    chosen = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i] as number;
      if (target <= 0) {
        chosen = i;
        break;
      }
    }
  }
  const sums = new Float64Array(3 * count);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let isMoved = false;
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const x = coords[2 * i] as number;
      const y = coords[2 * i + 1] as number;
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < count; c++) {
        const dx = x - (centres[2 * c] as number);
        const dy = y - (centres[2 * c + 1] as number);
        const distance = dx * dx + dy * dy;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = c;
        }
      }
      if (labels[i] !== best) isMoved = true;
      labels[i] = best;
      sums[3 * best] = (sums[3 * best] as number) + x;
      sums[3 * best + 1] = (sums[3 * best + 1] as number) + y;
      sums[3 * best + 2] = (sums[3 * best + 2] as number) + 1;
    }
    for (let c = 0; c < count; c++) {
      const members = sums[3 * c + 2] as number;
      if (members === 0) continue;
      centres[2 * c] = (sums[3 * c] as number) / members;
      centres[2 * c + 1] = (sums[3 * c + 1] as number) / members;
    }
    if (!isMoved && iteration > 0) break;
  }
  return labels;
}
