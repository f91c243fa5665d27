/**
 * A Server-Sent Events reader for tests: records each event (id, data) and waits for them with a bound.
 * As in a browser's `onmessage`, `events` has the unnamed events; named ones (`event: x`) go to `named`.
 */

export interface SseEvent {
  id: string | null;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly named: (SseEvent & { event: string })[] = [];
  private waiters: (() => void)[] = [];
  private buffer = "";
  private lastId: string | null = null;

  private constructor(
    private readonly abort: AbortController,
    readonly status: number,
  ) {}

  /** Resolves once the response headers are in (the server has taken the stream by then). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
    const client = new SseClient(abort, res.status);
    if (res.body === null) throw new Error(`no body from ${url} (${res.status})`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          client.feed(decoder.decode(value, { stream: true }));
        }
      } catch {
        /* aborted by close() */
      }
    })();
    return client;
  }

  /** The `data` of each event, parsed as JSON. */
  json<T = Record<string, unknown>>(): T[] {
    return this.events.map((e) => JSON.parse(e.data) as T);
  }

  waitFor(pred: (e: SseEvent) => boolean, n = 1, timeoutMs = 10_000): Promise<SseEvent[]> {
    return this.waitIn(this.events, pred, n, timeoutMs);
  }

  /** Waits for a named event (`event: <name>`) whose data matches. */
  async waitForNamed(name: string, pred: (data: string) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const [hit] = await this.waitIn(this.named, (e) => (e as SseEvent & { event: string }).event === name && pred(e.data), 1, timeoutMs);
    return hit as SseEvent;
  }

  private async waitIn(list: SseEvent[], pred: (e: SseEvent) => boolean, n: number, timeoutMs: number): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = list.filter(pred);
      if (got.length >= n) return got;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${got.length}/${n} matching events within ${timeoutMs} ms; got:\n  ${list.map((e) => e.data.slice(0, 160)).join("\n  ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.abort.abort();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    let added = false;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data: string[] = [];
      let event = "message";
      for (const line of frame.split("\n")) {
        if (line.startsWith("id:")) this.lastId = line.slice(3).trim();
        else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) {
        if (event === "message") this.events.push({ id: this.lastId, data: data.join("\n") });
        else this.named.push({ id: this.lastId, event, data: data.join("\n") });
        added = true;
      }
    }
    if (added) for (const w of this.waiters.splice(0)) w();
  }
}
