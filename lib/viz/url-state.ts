/**
 * A view's state as URL search parameters, so a reload, a bookmark or a share link shows the same thing. Each
 * field has a short parameter name and is parsed on its own by a schema whose fields fall back to their defaults
 * (`.catch`), so a hand-edited URL degrades to a sensible view instead of an error. Defaults are left out of URLs.
 * Lists travel comma-separated, null as "none".
 */
export interface UrlStateCodec<S> {
  /** Reads a state from anything with `get` (URLSearchParams, Next's ReadonlyURLSearchParams). */
  parse(params: { get(name: string): string | null }): S;
  /** Writes a state, leaving out every field at its default. */
  serialize(state: S): URLSearchParams;
  defaults: S;
}

export function urlStateCodec<S extends object>(
  schema: { parse(raw: unknown): S },
  param: Readonly<Record<keyof S, string>>,
): UrlStateCodec<S> {
  const fields = Object.keys(param) as (keyof S)[];
  const parse = (params: { get(name: string): string | null }): S =>
    schema.parse(Object.fromEntries(fields.map((field) => [field, params.get(param[field]) ?? undefined])));
  const defaults = parse(new URLSearchParams());
  return {
    parse,
    defaults,
    serialize(state) {
      const params = new URLSearchParams();
      for (const field of fields) {
        const text = textOf(state[field]);
        if (text !== textOf(defaults[field])) params.set(param[field], text);
      }
      return params;
    },
  };
}

function textOf(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  return value === null ? "none" : String(value);
}
