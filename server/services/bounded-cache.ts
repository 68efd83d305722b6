/**
 * Puts `value` under `key` as the most recently used entry of an insertion-ordered Map, then drops the least
 * recently used entries beyond `max`: the services' small in-memory caches (attention maps, search indexes, 3D
 * layouts) keep their bound this one way. Re-putting a hit marks it used.
 */
export function putBounded<K, V>(cache: Map<K, V>, key: K, value: V, max: number): void {
  cache.delete(key);
  cache.set(key, value);
  for (const oldest of cache.keys()) {
    if (cache.size <= max) break;
    cache.delete(oldest);
  }
}
