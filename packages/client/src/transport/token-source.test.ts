import { describe, expect, it } from "vitest";
import { createTokenSource, subjectOfToken } from "./token-source.ts";

const edgeToken = (subject: string) =>
  `et1.${btoa(JSON.stringify({ t: "dev", s: subject, p: ["demo.*"], e: 1 })).replaceAll("=", "")}.sig`;

describe("createTokenSource", () => {
  it("caches a token until the refresh margin before it expires", async () => {
    let clock = 0;
    let calls = 0;
    const source = createTokenSource({
      getToken: async () => ({ token: `t${++calls}`, expiresAt: 60_000, subject: "ada" }),
      refreshMarginMs: 10_000,
      now: () => clock,
    });
    expect((await source.get()).token).toBe("t1");
    clock = 49_999;
    expect((await source.get()).token).toBe("t1");
    clock = 50_000;
    expect((await source.get()).token).toBe("t2");
  });

  it("shares one fetch between concurrent callers and refreshes on demand", async () => {
    let calls = 0;
    const source = createTokenSource({
      getToken: async () => ({ token: `t${++calls}`, expiresAt: Date.now() + 3_600_000, subject: "ada" }),
    });
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect([a.token, b.token, calls]).toEqual(["t1", "t1", 1]);
    expect((await source.refresh()).token).toBe("t2");
  });

  describe("with a tokenUrl", () => {
    it("posts to it with same-origin credentials and reads the subject from an edge token", async () => {
      const seen: RequestInit[] = [];
      const source = createTokenSource({
        tokenUrl: "/token",
        fetch: async (_url, init) => {
          seen.push(init ?? {});
          return Response.json({ token: edgeToken("grace"), expiresAt: "2099-01-01T00:00:00.000Z" });
        },
      });
      const token = await source.get();
      expect(token.subject).toBe("grace");
      expect(token.expiresAt).toBe(Date.parse("2099-01-01T00:00:00.000Z"));
      expect(seen[0]).toMatchObject({ method: "POST", credentials: "same-origin" });
    });

    it("says token_refused when the endpoint answers 401 and token_unavailable on a 503", async () => {
      const answer = (status: number) =>
        createTokenSource({ tokenUrl: "/token", fetch: async () => new Response("", { status }) }).get();
      await expect(answer(401)).rejects.toMatchObject({ code: "token_refused", retryable: false });
      await expect(answer(503)).rejects.toMatchObject({ code: "token_unavailable", retryable: true });
    });

    it("refuses an answer that names no subject", async () => {
      const source = createTokenSource({
        tokenUrl: "/token",
        fetch: async () => Response.json({ token: "opaque", expiresAt: Date.now() + 60_000 }),
      });
      await expect(source.get()).rejects.toMatchObject({ code: "invalid_token_response" });
    });
  });

  it("forgets the cached token on clear", async () => {
    let calls = 0;
    const source = createTokenSource({
      getToken: async () => ({ token: `t${++calls}`, expiresAt: Date.now() + 3_600_000, subject: "ada" }),
    });
    await source.get();
    source.clear();
    expect((await source.get()).token).toBe("t2");
  });
});

describe("subjectOfToken", () => {
  it("reads the subject claim of an edge token and nothing else", () => {
    expect(subjectOfToken(edgeToken("ada"))).toBe("ada");
    expect(subjectOfToken("eyJhbGciOi.x.y")).toBeUndefined();
  });
});
