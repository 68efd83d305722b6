// An order of a graph's points in which linked points sit close together: breadth-first from the lowest
// unvisited id (Cuthill–McKee without its degree sort), each point's links in their given order. UMAP's layout
// relabels its points in this order, so an edge's tail lies near its head in memory, and each thread's id range
// holds whole neighbourhoods (few edges cross threads).

/** The points `0 … n−1` of the graph with directed edges `heads[e] → tails[e]`, breadth first. */
export function breadthFirstOrder(heads: Int32Array, tails: Int32Array, n: number): Int32Array {
  // Links by head (counting sort, stable).
  const starts = new Int32Array(n + 1);
  for (const head of heads) starts[head + 1] = (starts[head + 1] as number) + 1;
  for (let i = 0; i < n; i++) starts[i + 1] = (starts[i + 1] as number) + (starts[i] as number);
  const next = starts.slice(0, n);
  const links = new Int32Array(heads.length);
  heads.forEach((head, e) => {
    const slot = next[head] as number;
    next[head] = slot + 1;
    links[slot] = tails[e] as number;
  });
  const order = new Int32Array(n);
  const seen = new Uint8Array(n);
  let length = 0;
  for (let root = 0; root < n; root++) {
    if (seen[root]) continue;
    seen[root] = 1;
    order[length++] = root;
    for (let r = length - 1; r < length; r++) {
      const point = order[r] as number;
      for (let l = starts[point] as number; l < (starts[point + 1] as number); l++) {
        const linked = links[l] as number;
        if (seen[linked]) continue;
        seen[linked] = 1;
        order[length++] = linked;
      }
    }
  }
  return order;
}
