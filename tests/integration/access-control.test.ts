/**
 * Access control with AUTH=on (issue 19), through the real HTTP handlers (tRPC, images, upload, better-auth) on a
 * migrated database with real accounts and sessions: every procedure of the app router, enumerated from its own
 * definition, and every route handler under app/api, so a new one cannot be missed.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Db } from "~/server/store/db";
import { createSyntheticAnalysisRun, createTestDatabase } from "../helpers/synthetic-analysis-run";
import { TEST_POSTGRES_URL } from "../helpers/test-database";

const ORIGIN = "http://127.0.0.1:3999";
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let trpc: (request: Request) => Response | Promise<Response>;
let imageGet: Handler;
let uploadPost: (request: Request) => Promise<Response>;
let authHandler: (request: Request) => Response | Promise<Response>;
let pointsGet: Handler;
let panelGet: Handler;
let procedures: [string, "query" | "mutation" | "subscription"][];
let createCallerWith: (headers: Headers) => Promise<unknown>;
const cookies: Record<"admin" | "member" | "viewer", string> = { admin: "", member: "", viewer: "" };
const savedEnv = { ...process.env };
let runA: { runId: string; imageIds: string[]; sha256s: string[]; pinned: string; unpinned: string };
let runB: { runId: string; imageIds: string[]; sha256s: string[]; pinned: string };
let tokenA: string;
let linkA: string;

// Inputs that pass each procedure's validation, so a 401/403 is the role check and nothing else.
function inputFor(pathName: string): unknown {
  const known: Record<string, unknown> = {
    "share.resolve": { token: "x" },
  };
  return known[pathName] ?? {};
}

async function signIn(email: string, password: string, ip = "127.0.0.10"): Promise<Response> {
  return authHandler(
    new Request(`${ORIGIN}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, "x-forwarded-for": ip },
      body: JSON.stringify({ email, password }),
    }),
  );
}

function cookieOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
}

function call(
  pathName: string,
  type: "query" | "mutation",
  input: unknown,
  cookie: string,
): Promise<Response> {
  const encoded = JSON.stringify(superjson.serialize(input));
  const headers: Record<string, string> = { cookie };
  if (type === "query")
    return Promise.resolve(
      trpc(new Request(`${ORIGIN}/api/trpc/${pathName}?input=${encodeURIComponent(encoded)}`, { headers })),
    );
  return Promise.resolve(
    trpc(
      new Request(`${ORIGIN}/api/trpc/${pathName}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", origin: ORIGIN },
        body: encoded,
      }),
    ),
  );
}

function image(sha256: string, cookie: string): Promise<Response> {
  return imageGet(new Request(`${ORIGIN}/api/images/${sha256}/original`, { headers: { cookie } }), {
    params: Promise.resolve({ sha256, variant: "original" }),
  });
}

const shareCookie = (token: string) => `fvl_share=${token}`;

/** The explorer's binary point table of a run, or one panel of it (app/api/runs/[runId]/points). */
function points(runId: string, cookie: string, projectionId?: string): Promise<Response> {
  const url = `${ORIGIN}/api/runs/${runId}/points${projectionId === undefined ? "" : `/${projectionId}`}`;
  const request = new Request(url, { headers: { cookie } });
  if (projectionId === undefined) return pointsGet(request, { params: Promise.resolve({ runId }) });
  return panelGet(request, { params: Promise.resolve({ runId, projectionId }) });
}

async function syntheticRun(name: string) {
  const run = await createSyntheticAnalysisRun({
    db,
    name,
    images: 3,
    clusters: 1,
    sources: [{ name: "depth:V", dim: 4, kind: "latent" }],
  });
  const images = await db.image.findMany({ where: { id: { in: run.imageIds } } });
  // Real files, so a permitted read answers 200 (not 404) and a refused one is visibly the check.
  for (const row of images) {
    const file = path.join(dataDir, row.storagePath);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .png()
      .toFile(file);
  }
  const projection = (suffix: string) =>
    db.projection.create({
      data: {
        runId: run.runId,
        source: "depth:V",
        method: "pca",
        params: {},
        paramsKey: `pca:${suffix}`,
        seed: 0,
        inputHash: `${name}:${suffix}`,
        points: { imageIds: run.imageIds },
        coords: new Uint8Array(new Float32Array(run.imageIds.length * 2).buffer),
      },
    });
  return {
    runId: run.runId,
    imageIds: run.imageIds,
    sha256s: images.map((row) => row.sha256),
    pinned: (await projection("pinned")).id,
    unpinned: (await projection("other")).id,
  };
}

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-access-"));
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    AUTH: "on",
    HOST: "127.0.0.1",
    PORT: "3999",
    INFERENCE_URL: "http://127.0.0.1:9",
  });
  vi.resetModules();
  const holder = globalThis as { lensDb?: Db };
  holder.lensDb = db;
  const root = await import("~/server/api/root");
  const api = await import("~/server/api/trpc");
  procedures = Object.entries(root.appRouter._def.procedures).map(([name, procedure]) => [
    name,
    (procedure as unknown as { _def: { type: "query" | "mutation" | "subscription" } })._def.type,
  ]);
  createCallerWith = async (headers) => root.createCaller(await api.createApiContext({ headers }));
  trpc = (await import("~/app/api/trpc/[trpc]/route")).POST;
  imageGet = (await import("~/app/api/images/[sha256]/[variant]/route")).GET as unknown as Handler;
  uploadPost = (await import("~/app/api/datasets/upload/route")).POST;
  authHandler = (await import("~/app/api/auth/[...all]/route")).POST;
  pointsGet = (await import("~/app/api/runs/[runId]/points/route")).GET as unknown as Handler;
  panelGet = (await import("~/app/api/runs/[runId]/points/[projectionId]/route")).GET as unknown as Handler;
  const { getAppDeps } = await import("~/server/composition-root");
  const { createUser } = await import("~/server/auth/users");
  const auth = getAppDeps().auth.auth();
  for (const role of ["admin", "member", "viewer"] as const) {
    await createUser({ auth, email: `${role}@lab.test`, name: role, password: `${role}-password-1`, role });
    const response = await signIn(`${role}@lab.test`, `${role}-password-1`);
    expect(response.status).toBe(200);
    cookies[role] = cookieOf(response);
  }
  runA = await syntheticRun("run-a");
  runB = await syntheticRun("run-b");
  const created = await call(
    "share.create",
    "mutation",
    { view: `/runs/${runA.runId}/explore`, state: { projectionIds: [runA.pinned] } },
    cookies.member,
  );
  expect(created.status).toBe(200);
  const link = superjson.deserialize<{ token: string; id: string }>(
    ((await created.json()) as { result: { data: never } }).result.data,
  );
  tokenA = link.token;
  linkA = link.id;
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  delete (globalThis as { lensDb?: Db }).lensDb;
  await cleanup?.();
});

// Sign-in state, health and a share link's own resolution answer anyone; nothing else may.
const PUBLIC_PROCEDURES = ["auth.session", "system.inferenceHealth", "share.resolve"];

describe("every procedure of the app router", () => {
  it("is enumerated from the router itself", () => {
    expect(procedures.length).toBeGreaterThan(30);
    expect(procedures.map(([name]) => name)).toEqual(expect.arrayContaining(PUBLIC_PROCEDURES));
  });

  it("answers 401 without a session, except the public ones", async () => {
    for (const [name, type] of procedures) {
      if (PUBLIC_PROCEDURES.includes(name)) continue;
      if (type === "subscription") {
        const caller = (await createCallerWith(new Headers())) as Record<string, Record<string, unknown>>;
        const [group, procedure] = name.split(".") as [string, string];
        const subscribe = caller[group]?.[procedure] as (input: unknown) => Promise<unknown>;
        await expect(subscribe({ runId: runA.runId }), name).rejects.toMatchObject({ code: "UNAUTHORIZED" });
        continue;
      }
      const response = await call(name, type, inputFor(name), "");
      expect(response.status, name).toBe(401);
    }
  });

  it("answers the public ones without a session", async () => {
    for (const name of PUBLIC_PROCEDURES) {
      const response = await call(name, "query", inputFor(name), "");
      expect(response.status, name).toBe(200);
    }
  });

  it("refuses every mutation to a viewer (403), and account management to a member", async () => {
    const mutations = procedures.filter(([, type]) => type === "mutation");
    expect(mutations.length).toBeGreaterThan(10);
    for (const [name] of mutations) {
      const response = await call(name, "mutation", inputFor(name), cookies.viewer);
      expect(response.status, name).toBe(403);
    }
    const accountProcedures = procedures.filter(
      ([name]) => name.startsWith("users.") || name.startsWith("audit."),
    );
    expect(accountProcedures.length).toBeGreaterThanOrEqual(5);
    for (const [name, type] of accountProcedures) {
      const response = await call(name, type as "query" | "mutation", inputFor(name), cookies.member);
      expect(response.status, name).toBe(403);
    }
    // The admin plugin's own account endpoints follow the same roles.
    const listUsers = (cookie: string) =>
      authHandler(new Request(`${ORIGIN}/api/auth/admin/list-users`, { headers: { cookie } }));
    expect((await listUsers(cookies.member)).status).toBe(403);
    expect((await listUsers("")).status).toBe(401);
    expect((await listUsers(cookies.admin)).status).toBe(200);
  });

  it("lets a viewer read, a member create, and an administrator manage accounts, with an audit entry", async () => {
    expect((await call("catalog.runs", "query", {}, cookies.viewer)).status).toBe(200);
    const created = await call(
      "share.create",
      "mutation",
      { view: `/runs/${runB.runId}/explore`, state: {} },
      cookies.member,
    );
    expect(created.status).toBe(200);
    const made = await call(
      "users.create",
      "mutation",
      { email: "new@lab.test", name: "New", password: "new-password-1", role: "member" },
      cookies.admin,
    );
    expect(made.status).toBe(200);
    const entries = await db.auditLog.findMany({ orderBy: { at: "asc" } });
    expect(entries.map((entry) => [entry.actorEmail, entry.action])).toEqual(
      expect.arrayContaining([
        ["member@lab.test", "share.create"],
        ["admin@lab.test", "users.create"],
      ]),
    );
    // Who was made, never the password.
    expect(JSON.stringify(entries)).not.toContain("new-password-1");
    expect(JSON.stringify(entries)).toContain("new@lab.test");
  });
});

describe("accounts", () => {
  it("keep the last administrator, and a role change applies on the next request", async () => {
    const caller = (await createCallerWith(new Headers({ cookie: cookies.admin }))) as {
      users: {
        list: () => Promise<{ id: string; email: string; role: string }[]>;
        setRole: (input: { userId: string; role: string }) => Promise<unknown>;
        remove: (input: { userId: string }) => Promise<unknown>;
      };
    };
    const users = await caller.users.list();
    const idOf = (email: string) => users.find((user) => user.email === email)?.id ?? "";
    await expect(
      caller.users.setRole({ userId: idOf("admin@lab.test"), role: "member" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(caller.users.remove({ userId: idOf("admin@lab.test") })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const made = await call(
      "users.create",
      "mutation",
      { email: "demoted@lab.test", name: "Demoted", password: "demoted-password-1", role: "member" },
      cookies.admin,
    );
    expect(made.status).toBe(200);
    const session = cookieOf(await signIn("demoted@lab.test", "demoted-password-1"));
    const create = () =>
      call("share.create", "mutation", { view: `/runs/${runA.runId}/explore`, state: {} }, session);
    expect((await create()).status).toBe(200);
    const demoted = (await caller.users.list()).find((user) => user.email === "demoted@lab.test");
    await caller.users.setRole({ userId: demoted?.id ?? "", role: "viewer" });
    expect((await create()).status).toBe(403);
    await caller.users.remove({ userId: demoted?.id ?? "" });
    expect((await call("catalog.runs", "query", {}, session)).status).toBe(401);
  });
});

describe("every route handler under app/api", () => {
  it("is guarded", async () => {
    const found = (await fs.readdir("app/api", { recursive: true }))
      .filter((file) => path.basename(file) === "route.ts")
      .map((file) => path.join("app/api", file));
    // The one list of handlers this test covers; a new handler fails here until it is added below.
    expect(found.sort()).toEqual([
      "app/api/auth/[...all]/route.ts",
      "app/api/datasets/upload/route.ts",
      "app/api/images/[sha256]/[variant]/route.ts",
      "app/api/runs/[runId]/points/[projectionId]/route.ts",
      "app/api/runs/[runId]/points/route.ts",
      "app/api/trpc/[trpc]/route.ts",
    ]);
    // the explorer's points: 401 without a session, 200 for a viewer.
    expect((await points(runA.runId, "")).status).toBe(401);
    expect((await points(runA.runId, cookies.viewer)).status).toBe(200);
    expect((await points(runA.runId, "", runA.pinned)).status).toBe(401);
    expect((await points(runA.runId, cookies.viewer, runA.pinned)).status).toBe(200);
    // images: 401 without a session, 200 for a viewer.
    expect((await image(runA.sha256s[0] as string, "")).status).toBe(401);
    expect((await image(runA.sha256s[0] as string, cookies.viewer)).status).toBe(200);
    // upload: 401 without a session, 403 for a viewer, 403 from another site even for a member.
    const upload = (cookie: string, origin = ORIGIN) =>
      uploadPost(
        new Request(`${ORIGIN}/api/datasets/upload`, {
          method: "POST",
          headers: { cookie, origin, "content-type": "multipart/form-data; boundary=x" },
          body: "--x--\r\n",
        }),
      );
    expect((await upload("")).status).toBe(401);
    expect((await upload(cookies.viewer)).status).toBe(403);
    expect((await upload(cookies.member, "https://evil.example")).status).toBe(403);
    // trpc: a mutation from another site's page is refused before any procedure runs (CSRF).
    const crossSite = await trpc(
      new Request(`${ORIGIN}/api/trpc/share.create`, {
        method: "POST",
        headers: {
          cookie: cookies.member,
          origin: "https://evil.example",
          "content-type": "application/json",
        },
        body: JSON.stringify(superjson.serialize({ view: "/", state: {} })),
      }),
    );
    expect(crossSite.status).toBe(403);
    // auth: sign-in answers anyone (that is its job); the session endpoint says who is signed in.
    const session = await authHandler(
      new Request(`${ORIGIN}/api/auth/get-session`, { headers: { cookie: cookies.member } }),
    );
    expect(((await session.json()) as { user: { email: string } }).user.email).toBe("member@lab.test");
  });
});

describe("a share link", () => {
  it("reads its run, its pinned projections and its run's images", async () => {
    const visitor = shareCookie(tokenA);
    expect((await call("analysis.points", "query", { runId: runA.runId }, visitor)).status).toBe(200);
    expect((await call("runs.get", "query", { runId: runA.runId }, visitor)).status).toBe(200);
    expect(
      (await call("analysis.projections", "query", { projectionIds: [runA.pinned] }, visitor)).status,
    ).toBe(200);
    for (const sha256 of runA.sha256s) expect((await image(sha256, visitor)).status).toBe(200);
    expect((await points(runA.runId, visitor)).status).toBe(200);
    expect((await points(runA.runId, visitor, runA.pinned)).status).toBe(200);
  });

  it("reads nothing of run B, whatever ids are put into the requests", async () => {
    const visitor = shareCookie(tokenA);
    const refused: [string, unknown][] = [
      ["analysis.points", { runId: runB.runId }],
      ["analysis.sources", { runId: runB.runId }],
      ["runs.get", { runId: runB.runId }],
      ["analysis.projections", { projectionIds: [runB.pinned] }],
      ["analysis.projections", { projectionIds: [runA.pinned], referenceProjectionId: runB.pinned }],
      // Run A's own projection that the link did not pin.
      ["analysis.projections", { projectionIds: [runA.unpinned] }],
      ["analysis.patchProjection", { projectionId: runB.pinned }],
      ["search.similarImages", { runId: runB.runId, imageId: runB.imageIds[0], source: "depth:V" }],
    ];
    for (const [name, input] of refused) {
      const response = await call(name, "query", input, visitor);
      expect(response.status, `${name} ${JSON.stringify(input)}`).toBe(403);
    }
    // Run A's id with an image of run B: the claim passes, the service finds no such image in run A.
    const mixed = { runId: runA.runId, imageId: runB.imageIds[0], source: "depth:V" };
    expect([403, 404]).toContain((await call("search.similarImages", "query", mixed, visitor)).status);
    for (const sha256 of runB.sha256s) expect((await image(sha256, visitor)).status).toBe(403);
    // The explorer's binary points: run B's table and panels, and run A's unpinned projection, are refused.
    expect((await points(runB.runId, visitor)).status).toBe(403);
    expect((await points(runB.runId, visitor, runB.pinned)).status).toBe(403);
    expect((await points(runA.runId, visitor, runB.pinned)).status).toBe(403);
    expect((await points(runA.runId, visitor, runA.unpinned)).status).toBe(403);
    // Features, answers and everything else that is not a share read: not for a link at all (401).
    const notShareReads: [string, unknown][] = [
      ["imageView.summary", { runId: runA.runId, imageId: runA.imageIds[0] }],
      ["imageView.pcaRgb", { runId: runB.runId, imageIds: runB.imageIds, sources: ["depth:V"] }],
      ["runs.images", { runId: runB.runId }],
      ["catalog.runs", {}],
      ["search.byText", { runId: runA.runId, source: "depth:V", text: "a cat" }],
    ];
    for (const [name, input] of notShareReads) {
      const response = await call(name, "query", input, visitor);
      expect(response.status, name).toBe(401);
    }
    // A link cannot change anything.
    expect((await call("share.revoke", "mutation", { linkId: linkA }, visitor)).status).toBe(401);
  });

  it("is not stored in clear", async () => {
    const row = await db.shareLink.findUniqueOrThrow({ where: { id: linkA } });
    expect(row.tokenHash).toBe(createHash("sha256").update(tokenA).digest("hex"));
    // The whole SQLite file (and its journal), byte for byte: the token is nowhere in it.
    if (TEST_POSTGRES_URL !== undefined) return;
    const files = (await fs.readdir(dataDir)).filter((file) => file.startsWith("lens.db"));
    expect(files).toContain("lens.db");
    for (const file of files) {
      const bytes = await fs.readFile(path.join(dataDir, file));
      expect(bytes.includes(Buffer.from(tokenA)), file).toBe(false);
    }
  });

  it("fails on the next request once revoked, and once expired", async () => {
    const visitor = shareCookie(tokenA);
    expect((await call("share.revoke", "mutation", { linkId: linkA }, cookies.member)).status).toBe(200);
    expect((await call("analysis.points", "query", { runId: runA.runId }, visitor)).status).toBe(401);
    expect((await image(runA.sha256s[0] as string, visitor)).status).toBe(401);

    const expiring = await call(
      "share.create",
      "mutation",
      { view: `/runs/${runA.runId}/explore`, state: {}, expiresAt: new Date(Date.now() + 1500) },
      cookies.member,
    );
    const { token } = superjson.deserialize<{ token: string }>(
      ((await expiring.json()) as { result: { data: never } }).result.data,
    );
    expect((await call("analysis.points", "query", { runId: runA.runId }, shareCookie(token))).status).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await call("analysis.points", "query", { runId: runA.runId }, shareCookie(token))).status).toBe(
      401,
    );
  });
});
