import type { NextConfig } from "next";

/**
 * The Content-Security-Policy of every page (issue 19), one the app passes (tests/e2e/access-control.test.ts
 * records violations): scripts and connections from this origin only, no plugins, no framing by other sites.
 * - 'unsafe-inline' scripts: Next.js streams its hydration data as inline scripts; nonces would make every page
 *   dynamic and uncacheable.
 * - 'unsafe-eval': regl (the explorer's WebGL scatterplots) and plotly.js compile their drawing code with
 *   `Function` at run time.
 * - blob: images and workers: exported figures and the explorer's workers are made in the page.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = [
  { key: "Content-Security-Policy", value: CONTENT_SECURITY_POLICY },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

const nextConfig: NextConfig = {
  // Native and WASM-backed packages stay outside the server bundle and are loaded by Node at run time.
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "onnxruntime-node",
    "hnswlib-node",
    // The scale-out drivers (issue 18): BullMQ reads its Lua scripts from its own folder at run time, and pg with
    // Prisma's pg adapter are loaded the same way as the SQLite driver.
    "bullmq",
    "ioredis",
    "pg",
    "@prisma/adapter-pg",
    // lib/analysis/shared-workers.ts resolves tsx's require hook for worker threads run from source; bundling
    // tsx would pull in esbuild's binary, which Turbopack cannot parse.
    "tsx",
    "esbuild",
    // The inference client's HTTP agent (long batch calls) is loaded from node_modules like the drivers above.
    "undici",
  ],
  typedRoutes: false,
  // Every answer but the stored images, which carry their own stricter, sandboxing policy (app/api/images).
  headers: async () => [{ source: "/((?!api/images/).*)", headers: SECURITY_HEADERS }],
};

export default nextConfig;
