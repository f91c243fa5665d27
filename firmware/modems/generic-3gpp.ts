/**
 * The 3GPP TS 27.007 base every family shares: setup, registration, signal, identity, the PDP
 * context, and power. A family hands in only the steps that differ (TinyGSM's *Impl split), as a
 * FamilySteps record: `activateData`, `iccidCommand`, `powerDownCommand`. Composition, not
 * subclassing: the ES5 emit of `class … extends` calls its helper before the constructor's function
 * declaration, which Espruino (no hoisting) cannot run.
 */
import type { AtEngine, AtResult, Clock } from "../at/index.js";
import type { Done, Failure, Identity, Network, Power, Registration, RegistrationStat, Signal } from "./capabilities.js";
import { fail, intAt, paramsOf, quoted, step, valueOf, type Settings } from "./steps.js";

/** What a family does its own way; each absent member is the 27.007 way. */
export interface FamilySteps {
  /** Activates the packet data context after AT+CGDCONT. Default: 27.007 §10.1.10 AT+CGACT=1,<cid>. */
  activateData?: (engine: AtEngine, s: Settings, cb: Done<void>) => void;
  /** The command that prints the ICCID. Default AT+CCID (u-blox, SIMCom: not in 27.007). */
  iccidCommand?: string;
  /** The orderly power-down command. Default: none (power off through the board's hook only). */
  powerDownCommand?: string;
}

const STATS: RegistrationStat[] = ["not-registered", "home", "searching", "denied", "unknown", "roaming"];

/** 27.007 §10.1.22 <stat> → name (values past 5 — SMS-only, emergency — count as "unknown"). */
export function statName(n: number): RegistrationStat {
  return n >= 0 && n < STATS.length ? (STATS[n] as RegistrationStat) : "unknown";
}

/** Parses the parameters of +CEREG (read form when `read`: <n> first) into a Registration. */
export function parseRegistration(p: string[], read: boolean): Registration {
  const o = read ? 1 : 0;
  const stat = statName(intAt(p, o));
  const area = p[o + 1];
  const cell = p[o + 2];
  return {
    stat: stat,
    registered: stat === "home" || stat === "roaming",
    area: area !== undefined ? area : "",
    cell: cell !== undefined ? cell : "",
  };
}

export class Generic3gpp implements Network, Power {
  private engine: AtEngine;
  private clock: Clock;
  private s: Settings;
  private family: FamilySteps;
  private regHandler: ((r: Registration) => void) | null = null;
  private powerCycle: (() => void)[] = [];

  constructor(engine: AtEngine, clock: Clock, s: Settings, family: FamilySteps) {
    this.engine = engine;
    this.clock = clock;
    this.s = s;
    this.family = family;
    // 27.007 §10.1.22: +CEREG: <stat>[,<tac>,<ci>,<AcT>] when AT+CEREG=2.
    engine.onUrc("+CEREG:", (lines: string[]): void => {
      const h = this.regHandler;
      if (h !== null) h(parseRegistration(paramsFrom(lines), false));
    });
  }

  onRegistration(handler: (r: Registration) => void): void {
    this.regHandler = handler;
  }

  /** Called after the modem was reset or powered off or on (its sockets are gone). */
  onPowerCycle(listener: () => void): void {
    this.powerCycle.push(listener);
  }

  private cycled(): void {
    for (let i = 0; i < this.powerCycle.length; i++) (this.powerCycle[i] as () => void)();
  }

  init(cb: Done<void>): void {
    const e = this.engine;
    // V.250 §6.2.4 ATE0: no echo; 27.007 §9.1 AT+CMEE=2: verbose +CME ERROR.
    step(e, "AT", null, cb, () => {
      step(e, "ATE0", null, cb, () => {
        step(e, "AT+CMEE=2", null, cb, () => {
          // 27.007 §8.3 AT+CPIN?: +CPIN: READY when no PIN is needed.
          step(e, "AT+CPIN?", { prefix: "+CPIN:" }, cb, (r: AtResult) => {
            const p = paramsOf(r.lines, "+CPIN:");
            if (p === null || p[0] !== "READY") cb(fail("rejected", "AT+CPIN?", -1, "SIM not ready: " + (p === null ? "no answer" : String(p[0]))));
            else cb({ ok: true, value: undefined });
          });
        });
      });
    });
  }

  register(cb: Done<Registration>): void {
    const deadline = this.clock.now() + this.s.registrationTimeout;
    const poll = (): void => {
      // 27.007 §10.1.22 AT+CEREG? → +CEREG: <n>,<stat>[,<tac>,<ci>,<AcT>]
      step(this.engine, "AT+CEREG?", { prefix: "+CEREG:" }, cb, (r: AtResult) => {
        const p = paramsOf(r.lines, "+CEREG:");
        if (p === null) return cb(fail("protocol", "AT+CEREG?", -1, "no +CEREG: line"));
        const reg = parseRegistration(p, true);
        if (reg.registered) return cb({ ok: true, value: reg });
        if (reg.stat === "denied") return cb(fail("rejected", "AT+CEREG?", -1, "registration denied"));
        if (this.clock.now() >= deadline) return cb(fail("timeout", "AT+CEREG?", -1, "not registered after " + this.s.registrationTimeout + " ms"));
        this.clock.setTimeout(poll, this.s.pollInterval);
      });
    };
    step(this.engine, "AT+CEREG=2", null, cb, poll);
  }

  attach(cb: Done<void>): void {
    // 27.007 §10.1.1 AT+CGDCONT=<cid>,<PDP_type>,<APN>
    const cmd = "AT+CGDCONT=" + this.s.contextId + ',"IP",' + quoted(this.s.apn);
    step(this.engine, cmd, null, cb, () => {
      const own = this.family.activateData;
      if (own !== undefined) return own(this.engine, this.s, cb);
      // 27.007 §10.1.10 AT+CGACT=<state 1>,<cid>
      step(this.engine, "AT+CGACT=1," + this.s.contextId, { timeout: this.s.dataTimeout }, cb, () => {
        cb({ ok: true, value: undefined });
      });
    });
  }

  signal(cb: Done<Signal>): void {
    // 27.007 §8.5 AT+CSQ → +CSQ: <rssi>,<ber>; rssi 0..31 = -113..-51 dBm, 99 unknown.
    step(this.engine, "AT+CSQ", { prefix: "+CSQ:" }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+CSQ:");
      const rssi = p === null ? -1 : intAt(p, 0);
      if (rssi < 0) return cb(fail("protocol", "AT+CSQ", -1, "no +CSQ: <rssi>"));
      const known = rssi <= 31;
      cb({ ok: true, value: { rssi: rssi, dbm: known ? -113 + 2 * rssi : 0, known: known } });
    });
  }

  identity(cb: Done<Identity>): void {
    const e = this.engine;
    // 27.007 §5.4 AT+CGSN (IMEI), §5.6 AT+CIMI (IMSI); the ICCID command is the family's.
    step(e, "AT+CGSN", null, cb, (a: AtResult) => {
      step(e, "AT+CIMI", null, cb, (b: AtResult) => {
        const iccid = this.family.iccidCommand !== undefined ? this.family.iccidCommand : "AT+CCID";
        step(e, iccid, null, cb, (c: AtResult) => {
          cb({ ok: true, value: { imei: lastValue(a), imsi: lastValue(b), iccid: lastValue(c) } });
        });
      });
    });
  }

  powerOn(cb: Done<void>): void {
    const hook = this.s.power.on;
    if (hook === undefined) return this.awaitBoot(cb);
    hook(() => {
      this.awaitBoot(cb);
    });
  }

  powerOff(cb: Done<void>): void {
    const hook = this.s.power.off;
    const cmd = this.family.powerDownCommand !== undefined ? this.family.powerDownCommand : "";
    const afterCommand = (): void => {
      this.cycled();
      if (hook === undefined) return cb({ ok: true, value: undefined });
      hook(() => {
        cb({ ok: true, value: undefined });
      });
    };
    if (cmd === "") {
      if (hook === undefined) return cb(fail("unsupported", "", -1, "no power-down command and no off hook"));
      return afterCommand();
    }
    step(this.engine, cmd, { timeout: 10000 }, cb, afterCommand);
  }

  reset(cb: Done<void>): void {
    const hook = this.s.power.reset;
    if (hook !== undefined) {
      hook(() => {
        this.awaitBoot(cb);
      });
      return;
    }
    // 27.007 §8.2 AT+CFUN=1,1: full functionality after a reset.
    step(this.engine, "AT+CFUN=1,1", { timeout: 15000 }, cb, () => {
      this.awaitBoot(cb);
    });
  }

  /** Probes with AT every pollInterval until OK (or bootTimeout), then init(). */
  private awaitBoot(cb: Done<void>): void {
    this.cycled();
    const deadline = this.clock.now() + this.s.bootTimeout;
    const probe = (): void => {
      this.engine.send("AT", { timeout: this.s.pollInterval > 0 ? this.s.pollInterval : 500 }, (r: AtResult) => {
        if (r.kind === "ok") return this.init(cb);
        if (this.clock.now() >= deadline) return cb(fail("timeout", "AT", -1, "the modem did not answer within " + this.s.bootTimeout + " ms"));
        this.clock.setTimeout(probe, this.s.pollInterval);
      });
    };
    probe();
  }
}

function paramsFrom(lines: string[]): string[] {
  const p = paramsOf(lines, "+");
  return p === null ? [] : p;
}

/** The value of the last information line (bare or "+X: v"). */
function lastValue(r: AtResult): string {
  return r.lines.length === 0 ? "" : valueOf(r.lines[r.lines.length - 1] as string);
}

export type { Failure };
