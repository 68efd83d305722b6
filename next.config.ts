import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and WASM-backed packages stay outside the server bundle and are loaded by Node at run time.
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "onnxruntime-node",
    "hnswlib-node",
    // lib/analysis/shared-workers.ts resolves tsx's require hook for worker threads run from source; bundling
    // tsx would pull in esbuild's binary, which Turbopack cannot parse.
    "tsx",
    "esbuild",
  ],
  typedRoutes: false,
};

export default nextConfig;
