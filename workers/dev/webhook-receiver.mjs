// A local webhook receiver for `npm start`: the demo topic's webhook subscription posts here.
// It verifies `Errand-Signature` with @errand/edge's verifier (plain Node, no Workers runtime),
// dedupes on `Errand-Task-Id` and keeps the last deliveries for `GET /received`.
import { createServer } from "node:http";
import { verifyWebhookSignature } from "../../packages/edge/src/webhook-signature.ts";

/**
 * Starts the receiver on 127.0.0.1.
 * @param {{ port: number, secret: string }} options
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export function startWebhookReceiver({ port, secret }) {
  /** @type {{ id: string, receivedAt: string, body: unknown }[]} */
  const received = [];
  const seen = new Set();
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    response.setHeader("access-control-allow-origin", "*");
    if (request.method === "GET" && request.url === "/received") {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ received }));
      return;
    }
    if (request.method !== "POST" || request.url !== "/webhook") {
      response.writeHead(404).end();
      return;
    }
    const check = await verifyWebhookSignature(request.headers["errand-signature"]?.toString(), body, [
      secret,
    ]);
    if (!check.ok) {
      response
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: check.reason }));
      return;
    }
    const id = request.headers["errand-task-id"]?.toString() ?? "";
    if (!seen.has(id)) {
      seen.add(id);
      received.unshift({ id, receivedAt: new Date().toISOString(), body: JSON.parse(body) });
      received.length = Math.min(received.length, 100);
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ received: id }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${port}/webhook`,
        stop: () => new Promise((done) => server.close(() => done(undefined))),
      }),
    );
  });
}
