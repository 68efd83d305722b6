/** `defaults` overridden by every key of `options` that is set (undefined means "use the default"). */
export function resolveOptions<T extends object>(defaults: T, options: Partial<T>): T {
  const resolved = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value as T[keyof T];
  }
  return resolved;
}
