/**
 * The embedded broker: Aedes (MQTT 3.1.1, in-memory persistence; no shared subscriptions) on a TCP port.
 * `persistence` may be handed back to a new broker (tests restart a broker on the same port and keep its
 * sessions, as a broker with on-disk persistence would).
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** Aedes' persistence object: pass it to the next startBroker to keep sessions across a restart. */
  persistence: unknown;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : port);
    });
  });
}

/**
 * Starts Aedes on `port` (0 = any). With `fallback`, a taken port (EADDRINUSE) falls back to a free one.
 */
export async function startBroker(o: { port?: number; host?: string; persistence?: unknown; fallback?: boolean } = {}): Promise<EmbeddedBroker> {
  const host = o.host ?? "127.0.0.1";
  const broker = await Aedes.createBroker(o.persistence === undefined ? {} : { persistence: o.persistence });
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    broker.handle(s);
  });
  let port: number;
  try {
    port = await listen(server, o.port ?? 0, host);
  } catch (e) {
    if (!o.fallback || (e as NodeJS.ErrnoException).code !== "EADDRINUSE") {
      broker.close();
      throw e;
    }
    port = await listen(server, 0, host);
  }
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  let closed = false;
  return {
    url: `mqtt://${shown}:${port}`,
    port,
    persistence: (broker as unknown as { persistence: unknown }).persistence,
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => broker.close(() => r()));
      await done;
    },
  };
}
