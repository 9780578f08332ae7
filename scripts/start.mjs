// `npm start`: the local edge (wrangler dev on workerd, `dev` environment) and the demo
// (Vite) together. Prints both URLs; Ctrl-C stops both.
import { startDemo, startEdge } from "./servers.mjs";

const edgePort = Number(process.env.ERRAND_EDGE_PORT ?? 8787);
const demoPort = Number(process.env.ERRAND_DEMO_PORT ?? 5173);

/** @type {import("./servers.mjs").Server[]} */
const running = [];
let stopping = false;

/** @param {number} code */
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(running.map((server) => server.stop()));
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  console.log("Starting the edge (wrangler dev on workerd) and the demo (Vite)…");
  const edge = await startEdge({ port: edgePort, env: "dev", inherit: true });
  running.push(edge);
  const demo = await startDemo({ port: demoPort, edgeUrl: `http://127.0.0.1:${edgePort}`, inherit: true });
  running.push(demo);
  console.log(
    [
      "",
      "Errand is running:",
      `  demo  http://127.0.0.1:${demoPort}/`,
      `  edge  http://127.0.0.1:${edgePort}/v1/health`,
      "Press Ctrl-C to stop both.",
      "",
    ].join("\n"),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
}
