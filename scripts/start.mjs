// `npm start`: the local edge (wrangler dev on workerd, `dev` environment) and the demo
// (Vite) together. Prints both URLs; Ctrl-C stops both.
import { randomBytes } from "node:crypto";
import { startWebhookReceiver } from "../workers/dev/webhook-receiver.mjs";
import { freePort, startDemo, startEdge } from "./servers.mjs";

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
  // The demo topic's webhook subscription posts to this receiver (seeded by the dev entry).
  const webhookSecret = `whsec_${randomBytes(18).toString("base64url")}`;
  const receiver = await startWebhookReceiver({ port: await freePort(), secret: webhookSecret });
  running.push({
    name: "webhook receiver",
    pid: process.pid,
    url: receiver.url,
    stop: receiver.stop,
    output: () => "",
  });
  const edge = await startEdge({
    port: edgePort,
    env: "dev",
    inherit: true,
    vars: { DEMO_WEBHOOK_URL: receiver.url, DEMO_WEBHOOK_SECRET: webhookSecret },
  });
  running.push(edge);
  const demo = await startDemo({ port: demoPort, edgeUrl: `http://127.0.0.1:${edgePort}`, inherit: true });
  running.push(demo);
  console.log(
    [
      "",
      "Errand is running:",
      `  demo  http://127.0.0.1:${demoPort}/`,
      `  edge  http://127.0.0.1:${edgePort}/v1/health`,
      `  demo client tokens: POST http://127.0.0.1:${edgePort}/v1/dev/token`,
      `  demo edge stats (no key): GET http://127.0.0.1:${edgePort}/v1/dev/stats`,
      "  admin key (dev only): ek_devadmin_errand-local-admin-key-0001",
      `  webhook receiver: ${receiver.url.replace("/webhook", "/received")}`,
      "Press Ctrl-C to stop both.",
      "",
    ].join("\n"),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
}
