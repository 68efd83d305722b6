import type { Page } from "playwright-core";
import { createPrng } from "~/lib/analysis/prng";
import { categorize } from "~/lib/viz/categories";
import { type PanelFrameMeta, POINT_STATUSES, type PointTableMeta } from "~/lib/viz/point-table";
import { encodeFrame } from "~/lib/viz/typed-frame";

/**
 * A synthetic run for the explorer's scale test and benchmark, served by intercepting the browser's requests:
 * 200,000 points (or any number, a million in the benchmark) in eight Gaussian blobs on one panel, shown on the
 * explorer page of any real run (an unknown run's page is a 404). The binary point table and panel are encoded
 * exactly as the route handlers encode them (lib/viz/typed-frame.ts), point details are answered per request
 * as tRPC would; the real server answers everything else, so the page, bundles and rendering path are the
 * production ones and only the data is made up. Building a million points takes about a second, no database, so
 * the frames are built before the page is opened: a real server reads stored coordinates, it does not make them
 * while the explorer waits.
 */
export const SYNTHETIC_POINTS = 200_000;
const BLOBS = 8;
const SOURCE = "synthetic";
const PROJECTION = "synthetic-projection";

/** The panel, as a layout of the explorer's own run `runId`. */
function syntheticPanel(points: number, runId: string): Uint8Array<ArrayBuffer> {
  const prng = createPrng(7);
  const coords = new Float32Array(points * 2);
  for (let i = 0; i < points; i++) {
    const angle = (2 * Math.PI * (i % BLOBS)) / BLOBS;
    coords[2 * i] = 10 * Math.cos(angle) + prng.nextGaussian() * 1.5;
    coords[2 * i + 1] = 10 * Math.sin(angle) + prng.nextGaussian() * 1.5;
  }
  const meta: PanelFrameMeta = {
    source: SOURCE,
    projectionId: PROJECTION,
    runId,
    runName: "synthetic run",
    quality: { trustworthiness: 0.9, knnRecall: 0.5, k: 10 },
  };
  return encodeFrame(meta, { coords, pointIndex: Uint32Array.from({ length: points }, (_, i) => i) });
}

const blobOf = (i: number) => `blob ${i % BLOBS}`;

function syntheticTable(points: number): Uint8Array<ArrayBuffer> {
  const categories = categorize(Array.from({ length: points }, (_, i) => blobOf(i)));
  const meta: PointTableMeta = {
    count: points,
    colourBy: "label:blob",
    legend: categories.legend,
    labelKeys: ["blob"],
  };
  const status = new Uint8Array(points).fill(POINT_STATUSES.indexOf("done"));
  return encodeFrame(meta, { status, codes: categories.codes });
}

function details(index: number) {
  const imageId = `p${index}`;
  return {
    index,
    imageId,
    sha256: "0",
    fileName: `${imageId}.png`,
    caption: null,
    labels: { blob: blobOf(index) },
    split: null,
    status: "done",
    tasks: {},
    answers: {},
  };
}

/** The tRPC inputs of a GET batch (`?input={"0":{"json":…}}`) or of a POST batch's body. */
function batchInputs(url: URL, body: string | null): Record<string, { json?: Record<string, unknown> }> {
  const text = url.searchParams.get("input") ?? body ?? "{}";
  return JSON.parse(text) as Record<string, { json?: Record<string, unknown> }>;
}

function syntheticAnswer(name: string, input: Record<string, unknown> | undefined, points: number): unknown {
  switch (name) {
    case "analysis.sources":
      return { sources: [{ source: SOURCE, dim: 64, images: points }], prompts: [] };
    case "analysis.requestProjections":
      return {
        status: "ready",
        panels: [
          {
            source: SOURCE,
            projectionId: PROJECTION,
            method: "umap",
            params: {},
            imageIds: [],
            coords: "",
            quality: { trustworthiness: 0.9, knnRecall: 0.5, k: 10, queries: 200 },
            isReference: true,
          },
        ],
      };
    case "explorer.pointDetails":
      return ((input?.indices as number[] | undefined) ?? []).filter((i) => i < points).map(details);
    case "explorer.clusterTexts":
      return ((input?.indices as number[] | undefined) ?? []).map((i) => blobOf(i));
    default:
      return undefined;
  }
}

/**
 * One tRPC stream-batch answer (httpBatchStreamLink's JSON Lines, superjson-wrapped) holding every result inline,
 * so nothing is streamed after the head line.
 */
function streamBatchBody(results: Record<string, unknown>): string {
  return `${JSON.stringify({ json: Object.fromEntries(Object.entries(results).map(([i, r]) => [i, [[r]]])) })}\n`;
}

/**
 * Answers the page's requests for the synthetic run shown on run `runId`'s explorer: the binary point table and
 * panel, and every tRPC batch that calls a synthetic procedure — those with the synthetic data, the others in the
 * same batch with NOT_FOUND (the synthetic run has no run row, links or health of its own).
 */
export async function routeSyntheticRun(page: Page, runId: string, points = SYNTHETIC_POINTS): Promise<void> {
  const table = Buffer.from(syntheticTable(points));
  const panel = Buffer.from(syntheticPanel(points, runId));
  await page.route("**/api/runs/*/points**", async (route) => {
    const url = new URL(route.request().url());
    const body = url.pathname.endsWith("/points") ? table : panel;
    await route.fulfill({ status: 200, contentType: "application/octet-stream", body });
  });
  await page.route("**/api/trpc/**", async (route) => {
    const url = new URL(route.request().url());
    const procedures = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\//, "")).split(",");
    const inputs = batchInputs(url, route.request().postData());
    const answers = procedures.map((name, i) => syntheticAnswer(name, inputs[String(i)]?.json, points));
    if (answers.every((answer) => answer === undefined)) return route.continue();
    const results = Object.fromEntries(
      answers.map((answer, i) => [
        String(i),
        answer !== undefined
          ? { result: { data: answer } }
          : {
              error: { message: "synthetic run", code: -32004, data: { code: "NOT_FOUND", httpStatus: 404 } },
            },
      ]),
    );
    await route.fulfill({ status: 200, contentType: "application/json", body: streamBatchBody(results) });
  });
}
