import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, startEdge } from "../scripts/servers.mjs";
import { consumerEffects } from "./consumer-effects.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

/**
 * What the sync e2e tests run against: their own `wrangler dev --env test` with the API and the
 * example consumer (so effects are real handler commits), a fresh tenant with a `demo.echo`
 * topic whose queue subscription returns results, a TCP proxy in front of the edge, and a token
 * server standing in for the app's backend (it holds the tenant's admin key and mints client
 * tokens, as a real app's server would).
 */
export interface SyncEdge {
  /** The edge through the proxy: what pages use. */
  readonly url: string;
  /** The edge itself. */
  readonly directUrl: string;
  readonly proxy: TcpProxy;
  /** `POST <tokenUrl>?subject=…` answers `{ token, expiresAt }`. */
  readonly tokenUrl: string;
  readonly adminKey: string;
  /** A client token for `subject`, minted directly. */
  token(subject: string): Promise<string>;
  /** Effect rows the example consumer committed for these ids, one per handler invocation. */
  effectsOf(ids: readonly string[]): { task_id: string; subject: string }[];
  /**
   * What the token server hands out from now on: `valid` tokens (the default), or `refused`
   * ones whose signature the edge rejects (a revoked session, as the app's backend might do).
   */
  setTokenMode(mode: "valid" | "refused"): void;
  /** Test-only fault rules of the tenant (workers/src/api/dev/faults.ts). */
  setFaults(rules: unknown[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything; `stop()` stops it all and removes the state. */
export async function startSyncEdge(): Promise<SyncEdge> {
  const persistTo = await mkdtemp(path.join(tmpdir(), "errand-sync-e2e-"));
  const port: number = await freePort();
  const edge = await startEdge({
    port,
    env: "test",
    persistTo,
    configs: ["wrangler.toml", "workers/wrangler.example-consumer.toml"],
  });
  // Whatever happens to the caller (a hook that timed out while this was starting), the edge
  // dies with this process instead of outliving it.
  const killOnExit = () => {
    try {
      process.kill(-edge.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killOnExit);
  const stopEdge = async () => {
    process.off("exit", killOnExit);
    await edge.stop();
    await rm(persistTo, { recursive: true, force: true });
  };
  try {
    return await prepare(port, persistTo, stopEdge);
  } catch (error) {
    await stopEdge();
    throw error;
  }
}

async function prepare(port: number, persistTo: string, stopEdge: () => Promise<void>): Promise<SyncEdge> {
  const directUrl = `http://127.0.0.1:${port}`;
  const call = async (route: string, init: RequestInit & { key?: string } = {}) => {
    const response = await fetch(`${directUrl}${route}`, {
      ...init,
      headers: {
        "content-type": "application/json",
        ...(init.key === undefined ? {} : { authorization: `Bearer ${init.key}` }),
      },
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${route} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const tenant = await call("/v1/dev/tenants", { method: "POST", body: "{}" });
  const adminKey = String(tenant.key);
  await call("/v1/topics/demo.echo", { method: "PUT", body: "{}", key: adminKey });
  await call("/v1/topics/demo.echo/subscriptions", {
    method: "POST",
    key: adminKey,
    body: JSON.stringify({ kind: "queue", target: "errand-delivery", resultFrom: true }),
  });
  const mint = async (subject: string, ttlSeconds = 3600) =>
    call("/v1/tokens", {
      method: "POST",
      key: adminKey,
      body: JSON.stringify({ subject, topics: ["demo.*"], ttlSeconds }),
    });

  let tokenMode: "valid" | "refused" = "valid";
  const tokens: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const headers = { "access-control-allow-origin": "*", "content-type": "application/json" };
    if (request.method === "OPTIONS") {
      response.writeHead(204, { ...headers, "access-control-allow-headers": "*" }).end();
      return;
    }
    mint(url.searchParams.get("subject") ?? "anon", Number(url.searchParams.get("ttl") ?? 3600)).then(
      (body) => {
        // A flipped last character breaks the signature, nothing else: the edge answers 401.
        const token = String(body.token);
        const refused = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
        const grant = tokenMode === "refused" ? { ...body, token: refused } : body;
        response.writeHead(200, headers).end(JSON.stringify(grant));
      },
      (error: unknown) => response.writeHead(502, headers).end(JSON.stringify({ error: String(error) })),
    );
  });
  const tokenPort: number = await freePort();
  await new Promise<void>((resolve) => tokens.listen(tokenPort, "127.0.0.1", resolve));
  const proxy = await startTcpProxy(port);

  return {
    url: proxy.url,
    directUrl,
    proxy,
    tokenUrl: `http://127.0.0.1:${tokenPort}/token`,
    adminKey,
    token: async (subject) => String((await mint(subject)).token),
    effectsOf: (ids) => consumerEffects(persistTo, ids),
    setTokenMode(mode) {
      tokenMode = mode;
    },
    async setFaults(rules) {
      await call("/v1/dev/faults", { method: "POST", key: adminKey, body: JSON.stringify({ rules }) });
    },
    async stop() {
      await proxy.close();
      await new Promise((resolve) => tokens.close(resolve));
      await stopEdge();
    },
  };
}
