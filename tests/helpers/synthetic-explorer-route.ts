import type { Page } from "playwright-core";
import { createPrng } from "~/lib/analysis/prng";

/**
 * A synthetic run for the explorer's scale test and benchmark, served by intercepting the browser's tRPC
 * requests: 200,000 points (or any number) in eight Gaussian blobs on one panel, shown on the explorer page of
 * any real run (an unknown run's page is a 404). The real server answers everything else, so the page, bundles
 * and rendering path are the production ones; only the data is made up.
 */
export const SYNTHETIC_POINTS = 200_000;
const BLOBS = 8;
const SOURCE = "synthetic";

function syntheticCoords(points: number): string {
  const prng = createPrng(7);
  const coords = new Float32Array(points * 2);
  for (let i = 0; i < points; i++) {
    const angle = (2 * Math.PI * (i % BLOBS)) / BLOBS;
    coords[2 * i] = 10 * Math.cos(angle) + prng.nextGaussian() * 1.5;
    coords[2 * i + 1] = 10 * Math.sin(angle) + prng.nextGaussian() * 1.5;
  }
  return Buffer.from(coords.buffer).toString("base64");
}

function syntheticAnswers(points: number): Record<string, unknown> {
  const imageIds = Array.from({ length: points }, (_, i) => `p${i}`);
  return {
    "analysis.sources": { sources: [{ source: SOURCE, dim: 64, images: points }], prompts: [] },
    "analysis.points": imageIds.map((imageId, i) => ({
      imageId,
      sha256: "0",
      fileName: `${imageId}.png`,
      caption: null,
      labels: { blob: `blob ${i % BLOBS}` },
      split: null,
      status: "done",
      tasks: {},
      answers: {},
    })),
    "analysis.requestProjections": {
      status: "ready",
      panels: [
        {
          source: SOURCE,
          projectionId: "synthetic-projection",
          method: "umap",
          params: {},
          imageIds,
          coords: syntheticCoords(points),
          quality: { trustworthiness: 0.9, knnRecall: 0.5, k: 10, queries: 200 },
          isReference: true,
        },
      ],
    },
  };
}

/**
 * One tRPC stream-batch answer (httpBatchStreamLink's JSON Lines, superjson-wrapped) holding every result inline,
 * so nothing is streamed after the head line.
 */
function streamBatchBody(results: Record<string, unknown>): string {
  return `${JSON.stringify({ json: Object.fromEntries(Object.entries(results).map(([i, r]) => [i, [[r]]])) })}\n`;
}

/**
 * Answers every tRPC request of the page that calls a synthetic procedure: those with the synthetic data, the
 * others in the same batch with NOT_FOUND (the synthetic run has no run row, links or health of its own).
 */
export async function routeSyntheticRun(page: Page, points = SYNTHETIC_POINTS): Promise<void> {
  const answers = syntheticAnswers(points);
  await page.route("**/api/trpc/**", async (route) => {
    const url = new URL(route.request().url());
    const procedures = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\//, "")).split(",");
    if (!procedures.some((name) => name in answers)) return route.continue();
    const results = Object.fromEntries(
      procedures.map((name, i) => [
        String(i),
        name in answers
          ? { result: { data: answers[name] } }
          : {
              error: { message: "synthetic run", code: -32004, data: { code: "NOT_FOUND", httpStatus: 404 } },
            },
      ]),
    );
    await route.fulfill({ status: 200, contentType: "application/json", body: streamBatchBody(results) });
  });
}
