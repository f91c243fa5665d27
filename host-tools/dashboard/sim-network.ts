/**
 * The SIMs' network state as the mock cloud has it (`GET /_mock/sims/{sid}`: attached, power mode, powered,
 * its own loss/latency) and the network-wide conditions, cached for the page and fetched again when the
 * cloud's events say they changed — one fetch at a time per SIM, a change during a fetch fetches once more.
 * Each new state is handed to `push` (the page gets it live).
 */
import type { MockEvent } from "../cloud/events.js";
import { BoundedMap } from "./bounded-map.js";
import type { CloudLink } from "./cloud-link.js";
import { HttpError } from "./down.js";

export type NetState = Record<string, unknown>;

/** Events after which a SIM's state is fetched again. */
const SIM_EVENTS = new Set(["sim.attached", "sim.detached", "sim.power", "sim.powered", "sim.conditions", "sim.msisdn"]);

export class SimNetwork {
  private readonly states = new BoundedMap<string, NetState>(1000);
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  network: NetState | null = null;

  constructor(
    private readonly link: CloudLink,
    private readonly push: (what: { sim_sid: string; state: NetState } | { network: NetState }) => void,
  ) {}

  /** The cached states. */
  all(): NetState[] {
    return [...this.states.values()];
  }

  /** Fetches a SIM's state by SID or unique name (404 when the cloud has no such SIM) and caches it. */
  async fetch(id: string): Promise<NetState> {
    const r = await this.link.call("GET", `/_mock/sims/${encodeURIComponent(id)}`);
    if (r.status === 404) throw new HttpError(404, "not_found", `the mock cloud has no SIM '${id}'`);
    if (r.status !== 200 || typeof r.json.sim_sid !== "string") throw new HttpError(502, "cloud_unavailable", `the mock cloud answered ${r.status} for SIM '${id}'`);
    this.take(r.json);
    return r.json;
  }

  /** Takes a state the cloud answered (an admin call's answer, say) and pushes it. */
  take(state: NetState): void {
    if (typeof state.sim_sid !== "string") return;
    this.states.set(state.sim_sid, state);
    this.push({ sim_sid: state.sim_sid, state });
  }

  async fetchNetwork(): Promise<NetState> {
    const r = await this.link.call("GET", "/_mock/network");
    if (r.status !== 200) throw new HttpError(502, "cloud_unavailable", `the mock cloud answered ${r.status} for its network conditions`);
    this.network = r.json;
    this.push({ network: r.json });
    return r.json;
  }

  /** The cloud's events: refetch what they say changed (SIMs the page has asked for, and the network). */
  onMockEvent(e: MockEvent): void {
    if (e.type === "network.changed") this.schedule("");
    else if (SIM_EVENTS.has(e.type) && typeof e.sim_sid === "string" && this.states.has(e.sim_sid)) this.schedule(e.sim_sid);
  }

  /** Fetches again, one at a time per key ("" = the network). */
  private schedule(key: string): void {
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.running.add(key);
    const run = key === "" ? this.fetchNetwork() : this.fetch(key);
    void run
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(key);
        if (this.dirty.delete(key)) this.schedule(key);
      });
  }
}
