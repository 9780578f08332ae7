import { afterEach, describe, expect, it } from "vitest";
import { closeAll, fixturePool, never, quiet, request } from "./fixtures/harness.ts";

afterEach(closeAll);

describe("a worker pool", () => {
  describe("when the caller marks transferables", () => {
    it("moves a buffer to the worker, leaving the sender's copy detached", async () => {
      const pool = fixturePool({ size: 1 });
      const buffer = new Uint8Array([1, 2, 3, 4, 250]).buffer;
      const outcome = await pool.execute(request("sum", { buffer }, { transfer: [buffer] }), quiet, never);
      expect(outcome).toEqual({ ok: true, result: { length: 5, total: 260 } });
      expect(buffer.byteLength).toBe(0);
    });

    it("copies a buffer that is not marked, leaving the sender's intact", async () => {
      const pool = fixturePool({ size: 1 });
      const buffer = new Uint8Array([9, 9]).buffer;
      const outcome = await pool.execute(request("sum", { buffer }), quiet, never);
      expect(outcome).toEqual({ ok: true, result: { length: 2, total: 18 } });
      expect(buffer.byteLength).toBe(2);
    });

    it("moves a MessagePort, which IndexedDB could never store, to the handler", async () => {
      const pool = fixturePool({ size: 1 });
      const { port1, port2 } = new MessageChannel();
      const heard = new Promise<unknown>((resolve) => {
        port1.onmessage = (event) => resolve(event.data);
      });
      const outcome = await pool.execute(
        request("port", { port: port2, text: "hello through the port" }, { transfer: [port2] }),
        quiet,
        never,
      );
      expect(outcome).toEqual({ ok: true, result: "posted" });
      expect(await heard).toBe("hello through the port");
      port1.close();
    });
  });

  describe("when a handler marks its result with transfer()", () => {
    it("moves the result's buffer to the page instead of copying it", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(request("bytes", { length: 1024 }), quiet, never);
      expect(outcome.ok).toBe(true);
      const bytes = outcome.ok ? (outcome.result as Uint8Array) : new Uint8Array();
      expect(bytes.byteLength).toBe(1024);
      expect(bytes[300]).toBe(300 % 256);
      // Asked on the same worker afterwards: its own reference to the buffer is detached.
      expect(await pool.execute(request("wasDetached", {}), quiet, never)).toEqual({
        ok: true,
        result: true,
      });
    });
  });
});
