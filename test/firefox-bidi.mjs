#!/usr/bin/env node
// What Playwright starts as "Firefox" for its WebDriver BiDi path (channel "moz-firefox"): the
// stock Firefox that the browser finder found, with Playwright's arguments, behind a relay on
// its BiDi WebSocket. Playwright 1.65 sends `emulation.setMediaFeaturesOverride` (the
// prefers-color-scheme emulation) on every new context, and Firefox ESR 153 answers it "unknown
// command", which fails the context. The relay answers that one command itself, with success;
// Errand's tests do not emulate colour schemes, so nothing they check depends on it. Every other
// message passes through unchanged. Drop the relay once the ESR implements the command.
import { spawn } from "node:child_process";
import WebSocket, { WebSocketServer } from "ws";
import { requireBrowser } from "../scripts/browsers.mjs";

/** Commands that the ESR lacks and that Errand's tests can do without. */
const ANSWERED_HERE = new Set(["emulation.setMediaFeaturesOverride"]);

const firefox = spawn(requireBrowser("firefox"), process.argv.slice(2), {
  stdio: ["ignore", "inherit", "pipe"],
});
for (const signal of /** @type {const} */ (["SIGTERM", "SIGINT", "SIGHUP"])) {
  process.on(signal, () => firefox.kill(signal));
}
firefox.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const relay = new WebSocketServer({ host: "127.0.0.1", port: 0 });
const listening = new Promise((resolve) => relay.on("listening", resolve));
/** Firefox's own BiDi address, from its "WebDriver BiDi listening on" line. */
let upstream = "";

relay.on("connection", (client, request) => {
  const firefoxSide = new WebSocket(`${upstream}${request.url ?? ""}`, {
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  });
  /** @type {string[]} */
  const early = [];
  firefoxSide.on("open", () => {
    for (const message of early.splice(0)) firefoxSide.send(message);
  });
  firefoxSide.on("message", (data) => client.send(data.toString()));
  firefoxSide.on("close", () => client.close());
  firefoxSide.on("error", () => client.close());
  client.on("close", () => firefoxSide.close());
  client.on("message", (data) => {
    const text = data.toString();
    const command = parseCommand(text);
    if (command && ANSWERED_HERE.has(command.method)) {
      client.send(JSON.stringify({ type: "success", id: command.id, result: {} }));
    } else if (firefoxSide.readyState === WebSocket.OPEN) {
      firefoxSide.send(text);
    } else {
      early.push(text);
    }
  });
});

// Playwright reads the BiDi address from Firefox's stderr: hand it the relay's instead.
let pending = "";
firefox.stderr?.on("data", async (chunk) => {
  pending += chunk.toString();
  for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
    let line = pending.slice(0, end + 1);
    pending = pending.slice(end + 1);
    const found = line.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
    if (found?.[1]) {
      upstream = found[1];
      await listening;
      const { port } = /** @type {import("node:net").AddressInfo} */ (relay.address());
      line = line.replace(found[1], `ws://127.0.0.1:${port}`);
    }
    process.stderr.write(line);
  }
});

/**
 * @param {string} text
 * @returns {{ id: number, method: string } | undefined}
 */
function parseCommand(text) {
  try {
    const message = JSON.parse(text);
    return typeof message?.method === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}
