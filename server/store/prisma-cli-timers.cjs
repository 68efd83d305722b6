// Preloaded into Prisma's CLI by migrate.ts: Prisma 6.19's WebAssembly schema engine leaves a 10 s timer behind
// after `migrate deploy` on PostgreSQL, which holds the finished process for those 10 s. Long timers do not keep it
// alive; while the migrations run, the database connection does.
const setTimeoutWithRef = globalThis.setTimeout;
const LONG_MS = 5_000;
globalThis.setTimeout = function setTimeoutUnrefLong(callback, ms, ...args) {
  const timer = setTimeoutWithRef(callback, ms, ...args);
  if (typeof ms === "number" && ms >= LONG_MS) timer.unref?.();
  return timer;
};
