import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and WASM-backed packages stay outside the server bundle and are loaded by Node at run time.
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "onnxruntime-node",
    "hnswlib-node",
  ],
  typedRoutes: false,
};

export default nextConfig;
