import { connect, createServer, type Server, type Socket } from "node:net";

/** How the proxy treats new traffic. */
export type ProxyMode =
  /** Forward both ways. */
  | "pass"
  /** Accept, then reset at once (a network that refuses). */
  | "refuse"
  /** Accept and hold: bytes go nowhere (a network that hangs). */
  | "stall";

/** A TCP proxy in front of the edge that a test can cut, stall and make lose responses. */
export interface TcpProxy {
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Changes how traffic is treated; anything but `pass` also cuts the open connections. */
  setMode(mode: ProxyMode): void;
  /** Destroys every open connection (and the WebSockets on them). */
  cut(): void;
  /**
   * The next `count` times the edge starts answering, destroy that connection instead of
   * forwarding the answer: the request reached the edge and was committed, its response is lost.
   */
  dropResponses(count: number): void;
  close(): Promise<void>;
}

/**
 * Listens on a free 127.0.0.1 port and forwards to `target` (`127.0.0.1:<port>`).
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy(edgePort);
 * proxy.cut(); // every open request and socket fails
 * ```
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = "pass";
  let drops = 0;
  let accepted = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    track(client);
    if (mode === "refuse") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "stall") {
      client.pause();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    track(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (drops > 0) {
        drops -= 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    setMode(next) {
      mode = next;
      // Keep-alive connections would otherwise go on carrying requests past the new mode.
      if (next !== "pass") for (const socket of open) socket.destroy();
    },
    cut() {
      for (const socket of open) socket.destroy();
    },
    dropResponses(count) {
      drops = count;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
