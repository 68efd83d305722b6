import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32OfBase64 } from "~/lib/codec/base64";
import { categorize } from "~/lib/viz/categories";
import { POINT_STATUSES } from "~/lib/viz/point-table";
import { decodeFrame, encodeFrame } from "~/lib/viz/typed-frame";
import { getProjections } from "~/server/services/analysis/get-projections";
import { getPanelPoints } from "~/server/services/explorer/panel-points";
import { getClusterTexts, getPointDetails } from "~/server/services/explorer/point-details";
import { getPointTable } from "~/server/services/explorer/point-table";
import type { Db } from "~/server/store/db";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  type SyntheticAnalysisRun,
} from "../helpers/synthetic-analysis-run";

// The explorer's data services (issue 21): the binary point table and panels, and per-point details, checked
// against the analysis services they stand in for (getProjections' aligned coordinates, the dataset's items).
const IMAGES = 12;

let db: Db;
let cleanup: () => Promise<void>;
let run: SyntheticAnalysisRun;
let other: SyntheticAnalysisRun;
let sameDatasetRunId: string;
let projectionA: string;
let projectionB: string;
let projectionOther: string;

async function projection(runId: string, imageIds: string[], seed: number): Promise<string> {
  const coords = Float32Array.from({ length: imageIds.length * 2 }, (_, i) => Math.sin(seed + i) * 3);
  const row = await db.projection.create({
    data: {
      runId,
      source: "depth:V",
      method: "pca",
      params: {},
      paramsKey: `pca:${seed}`,
      seed,
      inputHash: `explorer:${runId}:${seed}`,
      points: { imageIds },
      coords: new Uint8Array(coords.buffer),
    },
  });
  return row.id;
}

beforeAll(async () => {
  ({ db, cleanup } = await createTestDatabase("lens-explorer-points-"));
  const sources = [{ name: "depth:V", dim: 4, kind: "latent" as const }];
  run = await createSyntheticAnalysisRun({ db, name: "explorer", images: IMAGES, clusters: 2, sources });
  other = await createSyntheticAnalysisRun({ db, name: "elsewhere", images: 3, clusters: 1, sources });
  // A second run of the same dataset (another model on the same images).
  const base = await db.run.findUniqueOrThrow({ where: { id: run.runId } });
  const {
    id: _id,
    createdAt: _createdAt,
    updatedAt: _updatedAt,
    ...fields
  } = base as typeof base & {
    updatedAt?: Date;
  };
  sameDatasetRunId = (
    await db.run.create({
      data: { ...fields, name: "second model", modelInfo: fields.modelInfo ?? undefined } as never,
    })
  ).id;
  // Run A's layout in dataset order; the second run's in reverse order over all but the first image.
  projectionA = await projection(run.runId, run.imageIds, 1);
  projectionB = await projection(sameDatasetRunId, [...run.imageIds].reverse().slice(0, IMAGES - 1), 2);
  projectionOther = await projection(other.runId, other.imageIds, 3);
}, 120_000);

afterAll(async () => {
  await cleanup?.();
});

describe("explorer points", () => {
  it("serves a panel as the aligned coordinates with each row's point index in dataset order", async () => {
    const panel = await getPanelPoints({
      db,
      runId: run.runId,
      projectionId: projectionB,
      referenceProjectionId: projectionA,
    });
    const reference = await getProjections({
      db,
      projectionIds: [projectionB, projectionA],
      referenceProjectionId: projectionA,
    });
    const aligned = reference.panels[0];
    if (aligned === undefined) throw new Error("no aligned panel");
    expect(Array.from(panel.coords)).toEqual(Array.from(float32OfBase64(aligned.coords)));
    expect(Array.from(panel.pointIndex)).toEqual(
      aligned.imageIds.map((imageId) => run.imageIds.indexOf(imageId)),
    );
    expect(panel.meta).toMatchObject({
      source: "depth:V",
      projectionId: projectionB,
      runId: sameDatasetRunId,
      runName: "second model",
    });
    // Through the frame codec, as the route handler sends it.
    const { meta, arrays } = decodeFrame(
      encodeFrame(panel.meta, { coords: panel.coords, pointIndex: panel.pointIndex }).buffer,
    );
    expect(meta).toEqual(panel.meta);
    expect(Array.from(arrays.pointIndex ?? [])).toEqual(Array.from(panel.pointIndex));
  });

  it("refuses a layout of another dataset's run, and an unknown one (NOT_FOUND)", async () => {
    await expect(
      getPanelPoints({ db, runId: run.runId, projectionId: projectionOther }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      getPanelPoints({
        db,
        runId: run.runId,
        projectionId: projectionA,
        referenceProjectionId: projectionOther,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getPanelPoints({ db, runId: run.runId, projectionId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(getPanelPoints({ db, runId: "no-run", projectionId: projectionA })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("serves the point table: statuses and the colour codes of the default colouring and any other", async () => {
    const table = await getPointTable({ db, runId: run.runId, colourBy: "" });
    expect(table.meta.count).toBe(IMAGES);
    expect(table.meta.colourBy).toBe("label:cluster");
    expect(table.meta.labelKeys).toEqual(["cluster"]);
    expect(Array.from(table.status)).toEqual(new Array(IMAGES).fill(POINT_STATUSES.indexOf("done")));
    const expected = categorize(run.clusterOf.map((c) => `c${c}`));
    expect(Array.from(table.codes)).toEqual(Array.from(expected.codes));
    expect(table.meta.legend).toEqual(expected.legend);
    const answers = await getPointTable({ db, runId: run.runId, colourBy: "answer:<OCR>" });
    expect(answers.meta.legend.length).toBe(10); // nine named answers and "other"
  });

  it("serves details of a few points by index or by image id, and texts to name clusters by", async () => {
    const byIndex = await getPointDetails({ db, runId: run.runId, indices: [3, 0, 99] });
    expect(byIndex.map((point) => [point.index, point.imageId, point.fileName])).toEqual([
      [3, run.imageIds[3], "img-0003.png"],
      [0, run.imageIds[0], "img-0000.png"],
    ]);
    expect(byIndex[0]?.tasks).toEqual({ "<OCR>": "TEXT3" });
    const byId = await getPointDetails({
      db,
      runId: run.runId,
      imageIds: [run.imageIds[5] ?? "", other.imageIds[0] ?? ""],
    });
    expect(byId.map((point) => point.index)).toEqual([5]);
    const texts = await getClusterTexts({ db, runId: run.runId, indices: [1, 2] });
    expect(texts).toEqual([run.captions[1], run.captions[2]]);
  });
});
