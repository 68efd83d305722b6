// `#server-only` outside a Next.js bundle (tsx processes, Vitest, the inference server): there is no browser
// bundle to keep a module out of, so the guard is empty here. See package.json "imports" and docs/architecture.md.
export {};
