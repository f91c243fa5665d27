/**
 * Server-Sent Events streams with bounds, for every server that streams (the dashboard's `/api/events`, the
 * mock cloud's `/_mock/events`): at most `maxClients` open streams, and a client that falls `maxBuffered`
 * bytes behind — a reader that does not read — is disconnected instead of being buffered for without end
 * (an EventSource reconnects by itself).
 *
 *   const streams = new SseStreams(50, 1024 * 1024);
 *   const c = streams.open(res);            // null: too many streams (nothing written)
 *   if (c) streams.write(c, "data: {}\n\n");
 */
import type { ServerResponse } from "node:http";

/** What a stream that falls this far behind (bytes buffered) may hold before it is dropped. */
export const SSE_MAX_BUFFERED = 1024 * 1024;

export interface SseStream {
  res: ServerResponse;
}

export class SseStreams {
  private readonly streams = new Set<SseStream>();

  constructor(
    private readonly maxClients: number,
    private readonly maxBuffered = SSE_MAX_BUFFERED,
  ) {}

  get count(): number {
    return this.streams.size;
  }

  /** Takes over `res` as an event stream (status 200 and the stream headers); null when `maxClients` are open. */
  open(res: ServerResponse, headers: Record<string, string> = {}): SseStream | null {
    if (this.streams.size >= this.maxClients) return null;
    const s: SseStream = { res };
    this.streams.add(s);
    res.on("close", () => this.streams.delete(s));
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...headers,
    });
    return s;
  }

  /** Writes to one stream; false (and the stream is closed) when it has fallen `maxBuffered` behind. */
  write(s: SseStream, text: string): boolean {
    if (!this.streams.has(s)) return false;
    if (s.res.writableLength > this.maxBuffered) {
      this.streams.delete(s);
      s.res.destroy();
      return false;
    }
    s.res.write(text);
    return true;
  }

  /** Writes to every stream. */
  broadcast(text: string): void {
    for (const s of this.streams) this.write(s, text);
  }

  closeAll(): void {
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }
}
