import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the API Worker in workerd", () => {
  it("answers its health route from workerd", async () => {
    const response = await exports.default.fetch("http://api.test/v1/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, service: "errand-api", env: "test" });
  });

  it("carries a probe from an HTTP request through the ingest queue into D1", async () => {
    const sent = await exports.default.fetch("http://api.test/v1/dev/probes", { method: "POST" });
    expect(sent.status).toBe(202);
    const { id } = await sent.json<{ id: string }>();

    const row = await waitFor(async () => {
      const response = await exports.default.fetch(`http://api.test/v1/dev/probes/${id}`);
      return response.status === 200 ? response.json<{ id: string; receivedAt: number }>() : undefined;
    });
    expect(row.id).toBe(id);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM probes WHERE id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(1);
  });

  it("round-trips a Durable Object whose SQLite storage persists between calls", async () => {
    const stub = env.HUB.get(env.HUB.idFromName("tenant-a"));
    expect(await stub.ping()).toBe(1);
    expect(await stub.ping()).toBe(2);
    const other = env.HUB.get(env.HUB.idFromName("tenant-b"));
    expect(await other.ping()).toBe(1);
  });
});
