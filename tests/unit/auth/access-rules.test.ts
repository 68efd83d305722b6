import { describe, expect, it } from "vitest";
import { canActAs } from "~/server/auth/access";
import { shareTokensOf, withShareToken } from "~/server/auth/cookies";
import { hasRole } from "~/server/auth/roles";
import { isSameOriginRequest } from "~/server/auth/same-origin";
import { SignInGate } from "~/server/auth/sign-in-gate";
import { isLoopbackHost, parseEnv } from "~/server/env";

describe("AUTH", () => {
  it("is on under auto exactly when HOST is not a loopback address", () => {
    expect(parseEnv({}).isAuthEnabled).toBe(false);
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1"]) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(parseEnv({ HOST: host }).isAuthEnabled, host).toBe(false);
    }
    for (const host of ["0.0.0.0", "::", "192.0.2.10", "lens.lab.example", "127.0.0.1.example"]) {
      expect(isLoopbackHost(host), host).toBe(false);
      expect(parseEnv({ HOST: host }).isAuthEnabled, host).toBe(true);
    }
    expect(parseEnv({ HOST: "0.0.0.0", AUTH: "off" }).isAuthEnabled).toBe(false);
    expect(parseEnv({ AUTH: "on" }).isAuthEnabled).toBe(true);
    expect(() => parseEnv({ AUTH: "maybe" })).toThrow(/AUTH/);
  });

  it("takes OpenID Connect only with issuer, client id and secret together", () => {
    expect(parseEnv({}).oidc).toBeNull();
    expect(
      parseEnv({ OIDC_ISSUER: "https://id.lab.example", OIDC_CLIENT_ID: "lens", OIDC_CLIENT_SECRET: "s" })
        .oidc,
    ).toEqual({
      issuer: "https://id.lab.example",
      clientId: "lens",
      clientSecret: "s",
      name: "OpenID Connect",
    });
    expect(() => parseEnv({ OIDC_ISSUER: "https://id.lab.example" })).toThrow(/go together/);
    expect(() => parseEnv({ INFERENCE_TOKEN: "short" })).toThrow(/INFERENCE_TOKEN/);
    expect(parseEnv({ HOST: "0.0.0.0", PORT: "8080" }).publicUrl).toBe("http://0.0.0.0:8080");
  });
});

describe("roles", () => {
  it("are ordered viewer < member < admin, and an unknown role may do nothing", () => {
    expect(hasRole("admin", "member")).toBe(true);
    expect(hasRole("member", "member")).toBe(true);
    expect(hasRole("member", "admin")).toBe(false);
    expect(hasRole("viewer", "member")).toBe(false);
    expect(hasRole("owner", "viewer")).toBe(false);
    expect(hasRole(null, "viewer")).toBe(false);
    const user = (role: string) => ({
      kind: "user" as const,
      user: { id: "u", email: "e", name: "n", role },
    });
    expect(canActAs({ kind: "open" }, "admin")).toBe(true);
    expect(canActAs(user("member"), "viewer")).toBe(true);
    expect(
      canActAs({ kind: "share", grants: [{ linkId: "l", runId: "r", pinnedProjectionIds: [] }] }, "viewer"),
    ).toBe(false);
    expect(canActAs({ kind: "anonymous" }, "viewer")).toBe(false);
  });
});

describe("same-origin check (CSRF)", () => {
  const post = (headers: Record<string, string>) =>
    new Request("http://lens.lab:3000/api/trpc/runs.create", {
      method: "POST",
      headers: { host: "lens.lab:3000", ...headers },
    });
  it("accepts the dashboard's own pages and non-browser clients, refuses other sites", () => {
    expect(isSameOriginRequest(post({ origin: "http://lens.lab:3000" }))).toBe(true);
    // Behind a TLS proxy: the page is https, the request reaches Node as http on the same host.
    expect(isSameOriginRequest(post({ origin: "https://lens.lab:3000" }))).toBe(true);
    expect(isSameOriginRequest(post({}))).toBe(true);
    expect(isSameOriginRequest(post({ "sec-fetch-site": "same-origin" }))).toBe(true);
    expect(isSameOriginRequest(post({ origin: "https://evil.example" }))).toBe(false);
    expect(isSameOriginRequest(post({ origin: "http://lens.lab:3000.evil.example" }))).toBe(false);
    expect(isSameOriginRequest(post({ origin: "null" }))).toBe(false);
    expect(isSameOriginRequest(post({ "sec-fetch-site": "cross-site" }))).toBe(false);
  });
});

describe("share cookie", () => {
  const token = (c: string) => c.repeat(43);
  it("keeps the newest links first, each once, at most eight", () => {
    let value = "";
    for (const c of "abcdefghij") value = withShareToken(shareTokensOf(`fvl_share=${value}`), token(c));
    const tokens = shareTokensOf(`theme=dark; fvl_share=${value}; other=1`);
    expect(tokens).toEqual([..."jihgfedc"].map(token));
    expect(shareTokensOf(`fvl_share=${withShareToken(tokens, token("e"))}`)[0]).toBe(token("e"));
    expect(shareTokensOf(`fvl_share=${withShareToken(tokens, token("e"))}`)).toHaveLength(8);
    expect(shareTokensOf(null)).toEqual([]);
    expect(shareTokensOf("fvl_session=x")).toEqual([]);
  });
});

describe("sign-in gate", () => {
  it("runs at most maxActive at once, queues maxWaiting, refuses the rest without running them", async () => {
    const gate = new SignInGate(1, 2);
    let running = 0;
    let peak = 0;
    let ran = 0;
    const work = async () => {
      running += 1;
      ran += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return "done";
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => gate.run(work)));
    expect(results.filter((r) => r === "done")).toHaveLength(3);
    expect(results.filter((r) => r === null)).toHaveLength(3);
    expect(ran).toBe(3);
    expect(peak).toBe(1);
    expect(await gate.run(work)).toBe("done");
  });
});
