/**
 * Ten thousand wrong-password attempts from one client are rate-limited without slowing other users' requests
 * (issue 19), measured by bench/sign-in-flood.ts (the same code `npm run bench:sign-in` runs) and checked here.
 */
import { afterAll, expect, it, vi } from "vitest";
import { measureSignInFlood } from "../../bench/sign-in-flood";

const savedEnv = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

it("limits 10,000 wrong passwords from one client, and claimed addresses, while a colleague stays fast", async () => {
  vi.resetModules();
  const report = await measureSignInFlood({
    attempts: 10_000,
    spoofedAttempts: 2_000,
    rounds: 5,
    requestsPerRound: 40,
    importFresh: (specifier) => import(/* @vite-ignore */ specifier),
  });
  console.log(`[sign-in flood] ${JSON.stringify(report)}`);
  const { oneClient, spoofedAddresses, baseline } = report;
  // One client: the first attempts of the window are checked (401), every other one is refused unchecked (429).
  expect(oneClient.statuses["401"]).toBe(report.limits.maxAttempts);
  expect(oneClient.statuses["429"]).toBe(10_000 - report.limits.maxAttempts);
  // Claimed addresses evade the per-address limit; the gate still refuses most attempts without hashing.
  expect((spoofedAddresses.statuses["429"] ?? 0) + (spoofedAddresses.statuses["401"] ?? 0)).toBe(2_000);
  expect(spoofedAddresses.statuses["429"]).toBeGreaterThan(1_000);
  // The colleague: never refused, and the median request stays within a few times the quiet baseline (the
  // floods share this process's event loop and the machine's two cores).
  for (const flood of [oneClient, spoofedAddresses]) {
    expect(flood.colleague.failures).toBe(0);
    expect(flood.colleague.requests).toBeGreaterThan(5);
    expect(flood.colleague.medianMs).toBeLessThan(Math.max(5 * baseline.medianMs, baseline.medianMs + 50));
  }
  expect(report.colleagueSignInAfter).toBe(200);
}, 300_000);
