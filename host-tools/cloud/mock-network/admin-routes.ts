/**
 * Mock-only admin API (docs/mock-network.md), JSON in and out, same credentials:
 *   POST /_mock/sims/{sid|name}/attach  {"ports": {"6969": "127.0.0.1:40001"}, "sms": "127.0.0.1:40002"}
 *        → {"device_ip", "mo", "smsc"?}; {"restore": true}: again with the mapping it had when detached
 *   POST /_mock/sims/{sid|name}/detach  → the SIM's network state
 *   POST /_mock/sims/{sid|name}/power   {"mode": "connected|idle|edrx|psm", "hlcom", "paging_delay_ms", "edrx_cycle_ms",
 *        "psm_tau_ms", "psm_active_ms"}
 *   POST /_mock/sims/{sid|name}/power-off, …/power-on → the SIM's network state
 *   POST /_mock/sims/{sid|name}/conditions {"loss": 0..1 | null, "latency_ms" | null, "seed" | null} → the SIM's network state
 *   POST /_mock/sims/{sid|name}/msisdn  {"msisdn": "+15551230001" | null} → the SIM's network state (its phone number)
 *   GET  /_mock/sims/{sid|name}         → the SIM's network state
 *   POST /_mock/network {"loss": 0..1, "latency_ms", "seed", "sms_retry_ms", "sms_max_resends", "sms_validity_ms"}; GET /_mock/network
 * Errors are Twilio-shaped: 404/20404 unknown SIM, 400/20001 bad JSON fields (or nothing to restore),
 * 403/83705 blocked (inactive) SIM, 409/20409 a number another SIM has, or an attach while powered off.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { badParam, notFound, TwilioError } from "../errors.js";
import { jsonObject, onlyKeys } from "../form.js";
import type { PowerMode } from "./conditions.js";
import { powerJson } from "./event-fields.js";
import { AttachRefusedError, parseEndpoint, type Endpoint, type Network, type NetSim } from "./index.js";
import { E164, MsisdnTakenError } from "./numbers.js";

function body(req: FastifyRequest): Record<string, unknown> {
  return jsonObject(req.body);
}

/** A number field from `lo` to `hi`; whole numbers only unless `fraction` (counts and milliseconds are whole). */
function num(b: Record<string, unknown>, k: string, lo: number, hi: number, fraction = false): number | undefined {
  const v = b[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (!fraction && !Number.isInteger(v)))
    throw badParam(`${k} must be ${fraction ? "a number" : "an integer"} from ${lo} to ${hi}`);
  return v;
}

/** `num`, where null clears the value. */
function numOrNull(b: Record<string, unknown>, k: string, lo: number, hi: number, fraction = false): number | null | undefined {
  return b[k] === null ? null : num(b, k, lo, hi, fraction);
}

/** A loss-generator seed: a whole number that fits 32 bits, or null. */
function seedOf(b: Record<string, unknown>): number | null | undefined {
  const v = numOrNull(b, "seed", 0, 0xffffffff);
  if (typeof v === "number" && !Number.isInteger(v)) throw badParam("seed must be a whole number between 0 and 4294967295");
  return v;
}

/** Runs an attach; a SIM whose device is off answers 409/20409. */
async function attaching<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof AttachRefusedError) throw new TwilioError(409, 20409, e.message);
    throw e;
  }
}

export function registerNetworkRoutes(app: FastifyInstance, net: Network): void {
  const sim = (req: FastifyRequest): NetSim => {
    const id = (req.params as { id: string }).id;
    const s = net.resolve(id);
    if (!s) throw notFound(`/_mock/sims/${id}`);
    return s;
  };

  app.post("/_mock/sims/:id/attach", async (req) => {
    const s = sim(req);
    if (s.blocked) throw new TwilioError(403, 83705, "Attachment rejected: the SIM is inactive");
    const b = body(req);
    if (b.restore !== undefined) {
      if (b.restore !== true) throw badParam("restore must be true");
      onlyKeys(b, ["restore"]);
      const r = await attaching(() => net.reattach(s.sid));
      if (r === false) throw badParam(`The SIM ${s.sid} has no earlier attachment to restore: attach it with its ports`);
      return r;
    }
    const ports = new Map<number, Endpoint>();
    const raw = b.ports ?? {};
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw badParam("ports must be an object {\"devicePort\": \"host:port\"}");
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const port = Number(k);
      if (!/^\d{1,5}$/.test(k) || port > 65535) throw badParam(`ports: '${k}' is not a port number`);
      const ep = typeof v === "string" ? parseEndpoint(v) : null;
      if (!ep) throw badParam(`ports.${k} must be "host:port"`);
      ports.set(port, ep);
    }
    let sms: Endpoint | null = null;
    if (b.sms !== undefined && b.sms !== null) {
      sms = typeof b.sms === "string" ? parseEndpoint(b.sms) : null;
      if (!sms) throw badParam('sms must be "host:port"');
    }
    return attaching(() => net.attach(s.sid, ports, sms));
  });

  app.post("/_mock/sims/:id/detach", async (req) => {
    const s = sim(req);
    net.detach(s.sid);
    return net.state(s.sid);
  });

  app.post("/_mock/sims/:id/power", async (req) => {
    const s = sim(req);
    const b = body(req);
    const mode = b.mode;
    if (mode !== undefined && mode !== "connected" && mode !== "idle" && mode !== "edrx" && mode !== "psm") throw badParam("mode must be connected, idle, edrx or psm");
    if (b.hlcom !== undefined && typeof b.hlcom !== "boolean") throw badParam("hlcom must be a boolean");
    const tau = num(b, "psm_tau_ms", 1, 35_712_000_000);
    const active = num(b, "psm_active_ms", 0, 11_160_000);
    const p = net.setPower(s.sid, {
      ...(mode !== undefined ? { mode: mode as PowerMode } : {}),
      ...(b.hlcom !== undefined ? { hlcom: b.hlcom as boolean } : {}),
      ...(num(b, "paging_delay_ms", 0, 600000) !== undefined ? { pagingDelayMs: b.paging_delay_ms as number } : {}),
      ...(num(b, "edrx_cycle_ms", 1, 10_485_760) !== undefined ? { edrxCycleMs: b.edrx_cycle_ms as number } : {}),
      ...(tau !== undefined ? { psmTauMs: tau } : {}),
      ...(active !== undefined ? { psmActiveMs: active } : {}),
    });
    return { sim_sid: s.sid, ...powerJson(p) };
  });

  app.post("/_mock/sims/:id/power-off", async (req) => {
    const s = sim(req);
    net.powerOff(s.sid);
    return net.state(s.sid);
  });

  app.post("/_mock/sims/:id/power-on", async (req) => {
    const s = sim(req);
    if (s.blocked) throw new TwilioError(403, 83705, "Attachment rejected: the SIM is inactive");
    await net.powerOn(s.sid);
    return net.state(s.sid);
  });

  app.post("/_mock/sims/:id/conditions", async (req) => {
    const s = sim(req);
    const b = body(req);
    onlyKeys(b, ["loss", "latency_ms", "seed"]);
    const loss = numOrNull(b, "loss", 0, 1, true);
    const latency = numOrNull(b, "latency_ms", 0, 60000);
    const seed = seedOf(b);
    net.setSimConditions(s.sid, {
      ...(loss !== undefined ? { loss } : {}),
      ...(latency !== undefined ? { latencyMs: latency } : {}),
      ...(seed !== undefined ? { seed } : {}),
    });
    return net.state(s.sid);
  });

  app.post("/_mock/sims/:id/msisdn", async (req) => {
    const s = sim(req);
    const b = body(req);
    onlyKeys(b, ["msisdn"]);
    const m = b.msisdn;
    if (m !== null && (typeof m !== "string" || !E164.test(m))) throw badParam("msisdn must be an E.164 number (+ and up to 15 digits) or null");
    try {
      net.numbers.set(s.sid, m);
    } catch (e) {
      if (e instanceof MsisdnTakenError) throw new TwilioError(409, 20409, e.message);
      throw e;
    }
    return net.state(s.sid);
  });

  app.get("/_mock/sims/:id", async (req) => net.state(sim(req).sid));

  const conditions = () => {
    const c = net.conditions;
    return { loss: c.loss, latency_ms: c.latencyMs, seed: net.cond.seed, sms_retry_ms: c.smsRetryMs, sms_max_resends: c.smsMaxResends, sms_validity_ms: c.smsValidityMs };
  };
  app.get("/_mock/network", async () => conditions());
  app.post("/_mock/network", async (req) => {
    const b = body(req);
    const loss = num(b, "loss", 0, 1, true);
    const latency = num(b, "latency_ms", 0, 60000);
    const retry = num(b, "sms_retry_ms", 1, 600000);
    const resends = num(b, "sms_max_resends", 0, 10);
    const validity = num(b, "sms_validity_ms", 1, 7 * 86_400_000);
    const seed = seedOf(b);
    net.setConditions({
      ...(seed !== undefined ? { seed } : {}),
      ...(loss !== undefined ? { loss } : {}),
      ...(latency !== undefined ? { latencyMs: latency } : {}),
      ...(retry !== undefined ? { smsRetryMs: retry } : {}),
      ...(resends !== undefined ? { smsMaxResends: resends } : {}),
      ...(validity !== undefined ? { smsValidityMs: validity } : {}),
    });
    return conditions();
  });
}
