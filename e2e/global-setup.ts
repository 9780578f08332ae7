import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startDemo, startEdge, startFixtures } from "../scripts/servers.mjs";

type Server = { pid: number; url: string; stop: () => Promise<void> };

declare module "vitest" {
  export interface ProvidedContext {
    edgeUrl: string;
    demoUrl: string;
    fixturesUrl: string;
  }
}

/**
 * Starts a fresh edge (own D1/queue state), the demo and the fixture pages; stops them all
 * by PID afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const persistTo = await mkdtemp(path.join(tmpdir(), "errand-e2e-edge-"));
  const started: Server[] = [];
  const teardown = async () => {
    await Promise.all(started.map((server) => server.stop()));
    await rm(persistTo, { recursive: true, force: true });
  };
  try {
    const edgePort: number = await freePort();
    const edge: Server = await startEdge({ port: edgePort, env: "test", persistTo });
    started.push(edge);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const demoPort: number = await freePort();
    const demo: Server = await startDemo({ port: demoPort, edgeUrl });
    started.push(demo);
    const fixturesPort: number = await freePort();
    const fixtures: Server = await startFixtures({ port: fixturesPort, edgeUrl });
    started.push(fixtures);
    project.provide("edgeUrl", edgeUrl);
    project.provide("fixturesUrl", `http://127.0.0.1:${fixturesPort}`);
    project.provide("demoUrl", `http://127.0.0.1:${demoPort}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
