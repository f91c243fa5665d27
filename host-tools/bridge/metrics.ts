/** Prometheus text exposition (format 0.0.4), written by hand: counters and gauges with labels. */
type Labels = Record<string, string>;

interface Family {
  type: "counter" | "gauge";
  help: string;
  values: Map<string, number>;
  read?: () => number;
}

function key(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Label sets rendered so far, by their raw text (a few per metric: route, kind, reason), at most this many. */
const KEYS_MAX = 10_000;

export class Metrics {
  private readonly families = new Map<string, Family>();
  /** The rendered `{…}` of each label set seen, by its keys and values as given (counted per event: rendered once). */
  private readonly keys = new Map<string, string>();

  constructor() {
    this.counter("simcmd_bridge_events_in_total", "Webhook events accepted into the outbox, by route");
    this.counter("simcmd_bridge_events_out_total", "MQTT messages acknowledged by the broker (PUBACK), by kind");
    this.counter("simcmd_bridge_duplicates_total", "Platform retries recognised and not published again");
    this.counter("simcmd_bridge_rejects_total", "Webhooks refused (bad signature, bad request) and downlinks rejected, by reason");
    this.counter("simcmd_bridge_retries_total", "Platform API calls retried, by platform");
    this.counter("simcmd_bridge_downlinks_total", "Downlink requests taken from MQTT");
    this.counter("simcmd_bridge_dead_letters_total", "Outbox rows the broker refused for good (MQTT 5 PUBACK reason code), moved to dead_letters");
    this.counter("simcmd_bridge_platform_errors_total", "Platform API calls that failed, by platform and class");
    this.counter("simcmd_bridge_takeover_rows_total", "Outbox rows of instances that died published by this one (PostgreSQL copy)");
  }

  counter(name: string, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { type: "counter", help, values: new Map() });
  }

  /** A gauge read when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    this.families.set(name, { type: "gauge", help, values: new Map(), read });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    let raw = "";
    for (const l in labels) raw += `${l}\u0000${labels[l]}\u0001`;
    let k = this.keys.get(raw);
    if (k === undefined) {
      k = key(labels);
      if (this.keys.size < KEYS_MAX) this.keys.set(raw, k);
    }
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  /** The current value (tests). Without labels: the sum over all label sets. */
  get(name: string, labels?: Labels): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.read) return f.read();
    if (labels) return f.values.get(key(labels)) ?? 0;
    let n = 0;
    for (const v of f.values.values()) n += v;
    return n;
  }

  render(): string {
    let out = "";
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n`;
      if (f.read) out += `${name} ${f.read()}\n`;
      else if (f.values.size === 0) out += `${name} 0\n`;
      else for (const [k, v] of f.values) out += `${name}${k} ${v}\n`;
    }
    return out;
  }
}
