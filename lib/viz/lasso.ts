/**
 * The lasso over every point of a panel, not only the drawn ones: with a level of detail the scatter draws a
 * subsample, so the selection is computed here on the panel's typed coordinates (even–odd rule, a bounding-box
 * test first so a small lasso over a million points costs little).
 */
export function pointsInPolygon(
  coords: Float32Array,
  polygon: readonly (readonly [number, number])[],
): Uint32Array {
  const m = polygon.length;
  if (m < 3) return new Uint32Array(0);
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  polygon.forEach(([x, y], i) => {
    xs[i] = x;
    ys[i] = y;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  const n = coords.length / 2;
  const inside = new Uint32Array(n);
  let count = 0;
  for (let row = 0; row < n; row++) {
    const x = coords[2 * row] as number;
    const y = coords[2 * row + 1] as number;
    if (x < minX || x > maxX || y < minY || y > maxY) continue;
    let isInside = false;
    for (let i = 0, j = m - 1; i < m; j = i++) {
      const yi = ys[i] as number;
      const yj = ys[j] as number;
      if (yi > y !== yj > y) {
        const xi = xs[i] as number;
        const xj = xs[j] as number;
        if (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) isInside = !isInside;
      }
    }
    if (isInside) inside[count++] = row;
  }
  return inside.slice(0, count);
}
