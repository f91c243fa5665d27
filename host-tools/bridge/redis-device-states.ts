/**
 * Device state shared by several bridge instances (device-state.ts has the rule): each transition is one Lua
 * script run in Redis, so it reads, changes and derives the device's state in one step no other instance
 * can interleave with — two instances that see the same fault cannot both move the device, and only the one
 * whose script changed the state publishes.
 *
 * Redis holds, under `simcmd:state:{<prefix>}:` (one hash tag, so a Redis Cluster keeps them in one slot):
 *   dev:<device>  hash: platform, sim_sid, last_up_ms, fault, no_comm, operator (the inputs), st, condition,
 *                 reason, since_ms, at_ms (the state), version (raised at each change), pubv (last published)
 *   lastup        sorted set: devices with no no_comm condition, by last uplink (the silence check)
 *   dirty         sorted set: devices whose latest state is not known to be at the broker, by when
 *
 * What is published is what Redis holds when it is published, never a value carried along: the publisher
 * reads the hash, publishes it retained, and after the PUBACK asks Redis (DONE) whether the version is still
 * the one it sent. If not, another transition happened meanwhile and it publishes again. So whichever publish
 * reaches the broker last, the one after it checks and corrects it, and the retained value ends as the
 * latest transition. An instance that dies between a transition and its PUBACK leaves the device in `dirty`;
 * every instance publishes what has been dirty for `repairAfterMs` (CLAIM moves it forward first, so one
 * instance takes it).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Clock } from "../../firmware/hal/clock.js";
import { operatorAction, statePayload, type DeviceStates } from "./device-state.js";
import { deviceTopic, topicProblem } from "./topics.js";

/** Reads the device's hash into `h` (KEYS: dev, lastup, dirty; ARGV[1] now, ARGV[2] device). */
const HEAD = `
local key, lastup, dirty = KEYS[1], KEYS[2], KEYS[3]
local now, device = ARGV[1], ARGV[2]
local h = {}
local raw = redis.call('HGETALL', key)
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local set = {}
`;

/** Writes `set` (false: delete) and derives the state; returns {1, version} when it changed, else {0}. */
const TAIL = `
for f, v in pairs(set) do
  if v then h[f] = v; redis.call('HSET', key, f, v) else h[f] = nil; redis.call('HDEL', key, f) end
end
if h.last_up_ms and not h.no_comm then redis.call('ZADD', lastup, h.last_up_ms, device) else redis.call('ZREM', lastup, device) end
local condition = 'normal'
if h.no_comm then condition = 'no_communication' elseif h.fault then condition = 'fault' end
if h.operator == 'acknowledged' and condition == 'normal' then h.operator = nil; redis.call('HDEL', key, 'operator') end
local state = condition
if h.operator == 'masked' then state = 'masked' elseif h.operator == 'acknowledged' then state = 'acknowledged' end
local reason = h.no_comm or h.fault
if h.st == state and h.condition == condition and h.reason == reason then return {0} end
local since = now
if h.st == state and h.since_ms then since = h.since_ms end
local version = redis.call('HINCRBY', key, 'version', 1)
redis.call('HSET', key, 'st', state, 'condition', condition, 'since_ms', since, 'at_ms', now)
if reason then redis.call('HSET', key, 'reason', reason) else redis.call('HDEL', key, 'reason') end
redis.call('ZADD', dirty, now, device)
return {1, version}
`;

/** One script per transition: what it reads from ARGV[3…] and which inputs it sets (or returns {0}: no change). */
const TRANSITIONS = {
  seen: `if h.last_up_ms then return {0} end
set.last_up_ms = now`,
  // ARGV[3] platform, ARGV[4] SIM sid, ARGV[5] '1' when a SIM sid is given. Only the time of the last uplink
  // changes when the rest is as it was: nothing to derive.
  uplink: `local platform, sim, hasSim = ARGV[3], ARGV[4], ARGV[5] == '1'
if h.st and not h.no_comm and h.platform == platform and (not hasSim or h.sim_sid == sim) then
  redis.call('HSET', key, 'last_up_ms', now)
  redis.call('ZADD', lastup, now, device)
  return {0}
end
set.platform = platform; set.last_up_ms = now; set.no_comm = false
if hasSim then set.sim_sid = sim end`,
  // ARGV[3] reason, ARGV[4] '1' when the platform reported the SIM detached
  failed: `set.fault = ARGV[3]
if ARGV[4] == '1' then set.no_comm = 'SIM detached' end`,
  succeeded: `if not h.fault then return {0} end
set.fault = false`,
  mask: `set.operator = 'masked'`,
  acknowledge: `if (h.fault or h.no_comm) and h.operator ~= 'masked' then set.operator = 'acknowledged' end`,
  reset: `set.operator = false; set.fault = false`,
  // ARGV[3] the no-communication period (ms); decided here, so an uplink that just arrived wins
  silence: `if h.no_comm or not h.last_up_ms then return {0} end
local quiet = tonumber(now) - tonumber(h.last_up_ms)
if quiet < tonumber(ARGV[3]) then return {0} end
set.no_comm = 'no uplink for ' .. string.format('%d', math.floor(quiet / 1000 + 0.5)) .. ' s'`,
} as const;

type Transition = keyof typeof TRANSITIONS;

/** After a PUBACK (KEYS: dev, dirty; ARGV: version published, device): 1 if that version is still the latest. */
const DONE = `
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'pubv', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`;

/** Devices dirty since before ARGV[1] (at most ARGV[3]), moved to ARGV[2] so other instances leave them. */
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, d in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], d) end
return due
`;

/** A script sent once by SHA-1 (EVALSHA), in full only when Redis does not have it (NOSCRIPT). */
class Script {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!String((e as Error).message).includes("NOSCRIPT")) throw e;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** Devices taken per silence check or repair round at most. */
const BATCH = 500;

export interface RedisDeviceStatesOptions {
  redis: Redis;
  /** The bridge's MQTT topic prefix (also names the Redis keys). */
  prefix: string;
  clock: Clock;
  noCommMs: number;
  /** Publishes a retained message; resolves on its PUBACK, rejects if it could not be sent. */
  publish: (topic: string, payload: string) => Promise<void>;
  /** A device dirty this long (an instance died before its PUBACK, or the broker was away) is published again. Default 5000. */
  repairAfterMs?: number;
  /** Redis could not be reached, or a publish failed (the device stays dirty). */
  onError?: (what: string, e: Error) => void;
}

export class RedisDeviceStates implements DeviceStates {
  private readonly scripts = new Map<Transition, Script>(
    (Object.keys(TRANSITIONS) as Transition[]).map((t) => [t, new Script(HEAD + TRANSITIONS[t] + TAIL)]),
  );
  private readonly done = new Script(DONE);
  private readonly claim = new Script(CLAIM);
  private readonly ns: string;
  private readonly pending = new Set<Promise<unknown>>();
  /** Devices this instance is publishing, and those whose state changed again meanwhile. */
  private readonly publishing = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers: number[] = [];
  private stopped = false;
  private readonly repairAfterMs: number;
  private readonly onError: (what: string, e: Error) => void;

  constructor(private readonly o: RedisDeviceStatesOptions) {
    this.ns = `simcmd:state:{${o.prefix}}:`;
    this.repairAfterMs = o.repairAfterMs ?? 5000;
    this.onError = o.onError ?? (() => undefined);
  }

  start(): void {
    const every = (ms: number, f: () => void): void => {
      const slot = this.timers.length;
      const tick = (): void => {
        if (this.stopped) return;
        f();
        this.timers[slot] = this.o.clock.setTimeout(tick, ms);
      };
      this.timers.push(this.o.clock.setTimeout(tick, ms));
    };
    every(Math.max(10, Math.min(60_000, Math.floor(this.o.noCommMs / 4))), () => this.checkSilence());
    every(Math.max(10, Math.floor(this.repairAfterMs / 2)), () => this.repair());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.o.clock.clearTimeout(t);
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private key(device: string): string {
    return `${this.ns}dev:${device}`;
  }

  /** Runs one transition; publishes when it changed the state. */
  private transition(t: Transition, device: string, ...args: (string | number)[]): void {
    const script = this.scripts.get(t) as Script;
    const keys = [this.key(device), `${this.ns}lastup`, `${this.ns}dirty`];
    this.track(
      script.run(this.o.redis, keys, [String(this.o.clock.now()), device, ...args]).then(
        (r) => {
          if ((r as number[])[0] === 1) this.publish(device);
        },
        (e: Error) => this.onError(`device state ${t} of ${device}`, e),
      ),
    );
  }

  checkSilence(): void {
    const before = this.o.clock.now() - this.o.noCommMs;
    this.track(
      this.o.redis.zrangebyscore(`${this.ns}lastup`, "-inf", before, "LIMIT", 0, BATCH).then(
        (devices) => {
          for (const d of devices) this.transition("silence", d, this.o.noCommMs);
        },
        (e: Error) => this.onError("silence check", e),
      ),
    );
  }

  /** Publishes the devices left dirty for `repairAfterMs` (by any instance). */
  repair(): void {
    const now = this.o.clock.now();
    this.track(
      this.claim.run(this.o.redis, [`${this.ns}dirty`], [now - this.repairAfterMs, now, BATCH]).then(
        (devices) => {
          for (const d of devices as string[]) this.publish(d);
        },
        (e: Error) => this.onError("state repair", e),
      ),
    );
  }

  seen(device: string): void {
    this.transition("seen", device);
  }

  uplink(device: string, platform: string, simSid: string | null): void {
    this.transition("uplink", device, platform, simSid ?? "", simSid === null ? "0" : "1");
  }

  failed(device: string, reason: string, detached: boolean): void {
    this.transition("failed", device, reason, detached ? "1" : "0");
  }

  succeeded(device: string): void {
    this.transition("succeeded", device);
  }

  operator(device: string, raw: string): boolean {
    const action = operatorAction(raw);
    if (action === null) return false;
    this.transition(action, device);
    return true;
  }

  /** Publishes what Redis holds for the device until the version it published is still the latest after the PUBACK. */
  private publish(device: string): void {
    if (this.publishing.has(device)) {
      this.again.add(device);
      return;
    }
    const topic = deviceTopic(this.o.prefix, device, "state");
    const problem = topicProblem(topic);
    if (problem !== null) {
      this.onError(`device state of ${device}`, new Error(problem));
      return;
    }
    this.publishing.add(device);
    const key = this.key(device);
    const run = async (): Promise<void> => {
      // bounded: each round is a transition by someone else in between; the device stays dirty if it ends
      for (let round = 0; round < 20 && !this.stopped; round++) {
        const [version, st, condition, reason, since, at] = await this.o.redis.hmget(key, "version", "st", "condition", "reason", "since_ms", "at_ms");
        if (!version || !st || !condition) return;
        const payload = statePayload(device, { state: st, condition, reason: reason ?? null }, Number(since), Number(at));
        await this.o.publish(topic, JSON.stringify(payload));
        const latest = (await this.done.run(this.o.redis, [key, `${this.ns}dirty`], [version, device])) === 1;
        if (latest && !this.again.delete(device)) return;
      }
    };
    this.track(
      run()
        .catch((e: Error) => this.onError(`publishing the state of ${device}`, e))
        .finally(() => {
          this.publishing.delete(device);
          if (this.again.delete(device) && !this.stopped) this.publish(device);
        }),
    );
  }
}
