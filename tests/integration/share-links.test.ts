import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { AppError } from "~/server/app-error";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { createInferenceClient } from "~/server/services/inference-client";
import { createShareLink } from "~/server/services/share/create-share-link";
import { listShareLinks } from "~/server/services/share/list-share-links";
import { resolveShareLink } from "~/server/services/share/resolve-share-link";
import { revokeShareLink } from "~/server/services/share/revoke-share-link";
import { MAX_SHARE_STATE_BYTES, ShareLinkUnavailableError } from "~/server/services/share/share-link";
import type { Db } from "~/server/store/db";
import { testApiContext } from "../helpers/api-context";
import { createSyntheticAnalysisRun, createTestDatabase } from "../helpers/synthetic-analysis-run";

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let projectionId: string;
let caller: ReturnType<typeof createCaller>;
let VIEW: string;

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-share-"));
  const run = await createSyntheticAnalysisRun({
    db,
    name: "shared",
    images: 4,
    clusters: 2,
    sources: [{ name: "depth:V", dim: 4, kind: "latent" }],
  });
  const projection = await db.projection.create({
    data: {
      runId: run.runId,
      source: "depth:V",
      method: "pca",
      params: { components: 2 },
      paramsKey: "pca:test",
      seed: 0,
      inputHash: "test",
      points: { imageIds: run.imageIds },
      coords: new Uint8Array(new Float32Array(8).buffer),
    },
  });
  projectionId = projection.id;
  VIEW = `/runs/${run.runId}/explore`;
  const inference = createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 });
  caller = createCaller(
    testApiContext({
      db,
      queue: new EmbeddedJobQueue(db),
      dataDir,
      inference: { client: inference, slowClient: inference, url: "http://127.0.0.1:9" },
    }),
  );
});

afterAll(async () => {
  await cleanup?.();
});

const STATE = {
  panels: { projectionIds: [] as string[] },
  selection: ["img1", "img7"],
  colourBy: "label:cluster",
};

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShareLinkUnavailableError);
  const unavailable = error as ShareLinkUnavailableError;
  expect(unavailable.code).toBe("NOT_FOUND");
  // One message for every reason: nothing about the view leaks.
  expect(unavailable.message).toBe("This link is not available.");
  return unavailable.reason;
}

describe("share links", () => {
  it("reproduce the exact view state and pin the projections it shows", async () => {
    const state = { ...STATE, panels: { projectionIds: [projectionId] } };
    const link = await createShareLink({ db, view: VIEW, state });
    expect(link.path).toBe(`/s/${link.token}`);
    expect(link.pinnedProjectionIds).toEqual([projectionId]);
    const resolved = await resolveShareLink({ db, token: link.token });
    expect(resolved).toEqual({ view: VIEW, state, pinnedProjectionIds: [projectionId], expiresAt: null });
    // The pinned panels read back by id.
    const panels = await caller.analysis.projections({ projectionIds: resolved.pinnedProjectionIds });
    expect(panels.panels[0]?.projectionId).toBe(projectionId);

    await expect(
      createShareLink({ db, view: VIEW, state: { projectionId: "missing-projection" } }),
    ).rejects.toThrow(/do not exist: missing-projection/);
  });

  it("have unguessable, distinct tokens", async () => {
    const tokens = await Promise.all(
      Array.from({ length: 20 }, async () => (await createShareLink({ db, view: VIEW, state: STATE })).token),
    );
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
    }
  });

  it("stop opening when revoked or expired, and say only why", async () => {
    const revoked = await createShareLink({ db, view: VIEW, state: STATE });
    const { revokedAt } = await revokeShareLink({ db, linkId: revoked.id });
    expect(await revokeShareLink({ db, linkId: revoked.id })).toEqual({ revokedAt });
    expect(await reasonOf(resolveShareLink({ db, token: revoked.token }))).toBe("revoked");

    const now = new Date("2030-01-01T00:00:00Z");
    const expiring = await createShareLink({
      db,
      view: VIEW,
      state: STATE,
      now,
      expiresAt: new Date("2030-01-02T00:00:00Z"),
    });
    expect((await resolveShareLink({ db, token: expiring.token, now })).view).toBe(VIEW);
    const later = new Date("2030-01-02T00:00:00Z");
    expect(await reasonOf(resolveShareLink({ db, token: expiring.token, now: later }))).toBe("expired");

    expect(await reasonOf(resolveShareLink({ db, token: "A".repeat(43) }))).toBe("unknown");
    expect(await reasonOf(resolveShareLink({ db, token: "../../etc/passwd" }))).toBe("unknown");
    await expect(revokeShareLink({ db, linkId: "no-such-link" })).rejects.toThrow(/No such link/);

    const statuses = await listShareLinks({ db, now: later });
    const statusOf = (id: string) => statuses.find((s) => s.id === id)?.status;
    expect(statusOf(revoked.id)).toBe("revoked");
    expect(statusOf(expiring.id)).toBe("expired");
    expect(await listShareLinks({ db, view: "/runs/other" })).toEqual([]);
  });

  it("hold at most 64 KB of state, for app views only", async () => {
    const overhead = Buffer.byteLength(JSON.stringify({ pad: "" }));
    const fits = { pad: "x".repeat(MAX_SHARE_STATE_BYTES - overhead) };
    await expect(createShareLink({ db, view: VIEW, state: fits })).resolves.toMatchObject({ view: VIEW });
    const tooLarge = { pad: "x".repeat(MAX_SHARE_STATE_BYTES - overhead + 1) };
    const error = await createShareLink({ db, view: VIEW, state: tooLarge }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: /at most 64 KB/ });

    for (const view of ["https://evil.example/x", "//evil.example", "runs/abc", "/runs/abc?x=1", "/a\\b"])
      await expect(createShareLink({ db, view, state: STATE })).rejects.toThrow(/not a dashboard view/);
    await expect(
      createShareLink({ db, view: VIEW, state: STATE, expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toThrow(/in the future/);
  });

  it("are served by the share router: an unavailable link is an answer with a reason, not an error", async () => {
    const link = await caller.share.create({ view: VIEW, state: STATE });
    expect(await caller.share.resolve({ token: link.token })).toMatchObject({
      isAvailable: true,
      view: VIEW,
      state: STATE,
    });
    await caller.share.revoke({ linkId: link.id });
    const revoked = await caller.share.resolve({ token: link.token });
    expect(revoked).toEqual({
      isAvailable: false,
      reason: "revoked",
      message: "This link is not available.",
    });
    expect(await caller.share.resolve({ token: "nope" })).toEqual({
      isAvailable: false,
      reason: "unknown",
      message: "This link is not available.",
    });
    await expect(
      caller.share.create({ view: VIEW, state: { pad: "x".repeat(MAX_SHARE_STATE_BYTES) } }),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    const listed = await caller.share.list({ view: VIEW });
    expect(listed.find((l) => l.id === link.id)?.status).toBe("revoked");
  });
});
