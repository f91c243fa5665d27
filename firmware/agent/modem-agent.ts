/**
 * The command agent behind a cellular modem (docs/agent.md, "The modem path"): the AT engine and the
 * family's driver (firmware/at, firmware/modems) on an injected UART, clock and storage. It brings
 * the modem up (init, registration, PDP context with the APN, a UDP listener on the device port,
 * SMS in PDU mode with +CMTI), answers each IP Command datagram with a datagram to the MO address
 * (100.64.0.1:<device port>) and each SMS Command with an SMS to its originator (2936 / 000).
 * A failed bring-up is retried with exponential backoff (resetting the modem first when it answered
 * but a later step failed); losing registration starts it again.
 * Device code: ES5-safe, callbacks only, never throws out of a callback.
 */
import { AtEngine } from "../at/index.js";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST } from "../core/limits.js";
import type { TextCodec } from "../core/text.js";
import type { Clock } from "../hal/clock.js";
import type { SerialPort } from "../hal/serial.js";
import type { KeyValueStore } from "../hal/storage.js";
import type { Datagram, Modem, ModemError, ModemFamily, Outcome, PowerHooks, SmsMessage, UdpSocket } from "../modems/capabilities.js";
import type { ModemDriver } from "../modems/index.js";
import { answer } from "../modems/sms-session.js";
import { settings } from "../modems/steps.js";
import { Agent, type AgentReply, type AgentRequest, type Transport } from "./agent.js";
import type { DeviceInfo } from "./handlers/types.js";

/** First and longest wait between bring-up attempts, ms. */
export const DEFAULT_RETRY_MIN = 1000;
export const DEFAULT_RETRY_MAX = 60000;

/** Driver timings that deployments tune (docs/modems.md, Options); absent: the driver's defaults. */
export interface ModemTuning {
  pollInterval?: number;
  registrationTimeout?: number;
  dataTimeout?: number;
  smsTimeout?: number;
  bootTimeout?: number;
}

export interface ModemAgentOptions {
  serial: SerialPort;
  clock: Clock;
  storage: KeyValueStore;
  /** The runtime's strings (utf16Text on XS and Node, utf8Text on Espruino and Lua). */
  text: TextCodec;
  family: ModemFamily;
  /**
   * The family's driver: `modemDriver(family)` to choose at run time, or the family's own function
   * (`bg96`, `sim7080`, `saraR4`) in firmware built for one family, which then carries no other.
   */
  driver: ModemDriver;
  info: DeviceInfo;
  /** UDP port IP Commands arrive on. Default DEFAULT_DEVICE_PORT (core/limits.ts). */
  devicePort?: number;
  /** Where IP replies go. Default DEFAULT_MO_HOST (core/limits.ts) : devicePort. */
  moHost?: string;
  moPort?: number;
  /** APN of the PDP context. Default "super". */
  apn?: string;
  maxIds?: number;
  /** Per-command AT timeout, ms. Default the engine's (5000). */
  atTimeout?: number;
  tuning?: ModemTuning;
  /**
   * Board hooks for the modem's power key (PWRKEY / PWR_ON pulse). With an `on` hook, a bring-up
   * whose first `AT` gets no answer pulses the key and waits for the modem to boot: a modem that
   * already answers is never pulsed (on most modules a second pulse switches it off).
   */
  power?: PowerHooks;
  retryMin?: number;
  retryMax?: number;
  /** Errors and state changes, one line each. Default: dropped. */
  onLog?: (message: string) => void;
  /** Each command answered (executed false: a repeated id or an error). */
  onHandled?: (transport: Transport, executed: boolean) => void;
  onState?: (state: ModemAgentState) => void;
}

/** starting: bring-up in progress; ready: listening; retrying: waiting to try again; stopped. */
export type ModemAgentState = "starting" | "ready" | "retrying" | "stopped";

export interface ModemAgentStatus {
  state: ModemAgentState;
  family: ModemFamily;
  devicePort: number;
  /** Bring-up attempts since the last success. */
  attempts: number;
  handledIp: number;
  handledSms: number;
  errors: number;
  lastError: string;
}

const STEPS = ["init", "register", "attach", "udp-open", "sms-start"];

function explain(e: ModemError): string {
  return e.kind + (e.command !== "" ? " " + e.command : "") + ": " + e.message;
}

export class ModemAgent {
  o: ModemAgentOptions;
  agent: Agent;
  engine: AtEngine;
  modem: Modem;
  state: ModemAgentState = "stopped";
  socket: UdpSocket | null = null;
  devicePort: number;
  moPort: number;
  attempts = 0;
  delay: number;
  retryTimer = 0;
  /** The last bring-up failed after the modem answered: the next one resets the modem first. */
  resetFirst = false;
  handledIp = 0;
  handledSms = 0;
  errors = 0;
  lastError = "";

  constructor(o: ModemAgentOptions) {
    this.o = o;
    this.devicePort = o.devicePort !== undefined ? o.devicePort : DEFAULT_DEVICE_PORT;
    this.moPort = o.moPort !== undefined ? o.moPort : this.devicePort;
    this.delay = o.retryMin !== undefined ? o.retryMin : DEFAULT_RETRY_MIN;
    this.agent = new Agent({ storage: o.storage, clock: o.clock, text: o.text, info: o.info, maxIds: o.maxIds });
    this.engine = new AtEngine({
      serial: o.serial,
      clock: o.clock,
      timeout: o.atTimeout,
      onError: (e): void => {
        this.error("AT " + e.kind + " " + e.code);
      },
    });
    const t: ModemTuning = o.tuning !== undefined ? o.tuning : {};
    this.modem = o.driver(this.engine, o.clock, settings({
      text: o.text,
      apn: o.apn,
      remoteHost: o.moHost !== undefined ? o.moHost : DEFAULT_MO_HOST,
      pollInterval: t.pollInterval,
      registrationTimeout: t.registrationTimeout,
      dataTimeout: t.dataTimeout,
      smsTimeout: t.smsTimeout,
      bootTimeout: t.bootTimeout,
      power: o.power,
      onError: (e: ModemError): void => {
        this.error("modem: " + explain(e));
      },
    }));
    // Each command is answered on a fresh turn of the event loop, not inside the serial → AT engine →
    // driver calls that delivered it: that chain plus the PDU codec outgrows the 384-slot stack a
    // Moddable build gets by default (measured: 411 slots on the Linux build, SMS path).
    this.modem.udp.onDatagram((d: Datagram): void => {
      o.clock.setTimeout((): void => {
        this.guard("datagram", () => this.onDatagram(d));
      }, 0);
    });
    this.modem.sms.onMessage((m: SmsMessage): void => {
      o.clock.setTimeout((): void => {
        this.guard("SMS", () => this.onSms(m));
      }, 0);
    });
    this.modem.network.onRegistration((r): void => {
      if (!r.registered && this.state === "ready") {
        this.error("registration lost (" + r.stat + "): bringing the modem up again");
        this.retry(0);
      }
    });
  }

  /** Starts the bring-up (again, after stop). */
  start(): void {
    if (this.state === "starting" || this.state === "ready") return;
    this.bringUp();
  }

  stop(): void {
    if (this.retryTimer !== 0) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.setState("stopped");
  }

  status(): ModemAgentStatus {
    return {
      state: this.state,
      family: this.o.family,
      devicePort: this.devicePort,
      attempts: this.attempts,
      handledIp: this.handledIp,
      handledSms: this.handledSms,
      errors: this.errors,
      lastError: this.lastError,
    };
  }

  setState(s: ModemAgentState): void {
    if (s === this.state) return;
    this.state = s;
    this.log("state " + s);
    if (this.o.onState !== undefined) this.o.onState(s);
  }

  log(message: string): void {
    if (this.o.onLog !== undefined) this.o.onLog(message);
  }

  error(message: string): void {
    this.errors++;
    this.lastError = message;
    this.log(message);
  }

  guard(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.error(what + " handler failed: " + String(e));
    }
  }

  bringUp(): void {
    this.attempts++;
    this.setState("starting");
    this.step(0);
  }

  step(i: number): void {
    if (this.state !== "starting") return;
    if (i >= STEPS.length) {
      this.attempts = 0;
      this.delay = this.o.retryMin !== undefined ? this.o.retryMin : DEFAULT_RETRY_MIN;
      this.setState("ready");
      return;
    }
    const next = (o: Outcome<unknown>): void => {
      if (o.ok) this.step(i + 1);
      else {
        // The modem answers but keeps something that failed (often a socket or context from before
        // the board restarted, which it still holds): start the next attempt from a clean modem.
        if (i > 0) this.resetFirst = true;
        this.error("bring-up step " + STEPS[i] + " failed (attempt " + this.attempts + "): " + explain(o.error));
        this.retry(this.delay);
        const max = this.o.retryMax !== undefined ? this.o.retryMax : DEFAULT_RETRY_MAX;
        this.delay = Math.min(this.delay * 2, max);
      }
    };
    const m = this.modem;
    if (i === 0) this.init(next);
    else if (i === 1) m.network.register(next);
    else if (i === 2) m.network.attach(next);
    else if (i === 3) this.openListener(next);
    else m.sms.start(next);
  }

  /**
   * network.init, after a modem reset (the board's reset hook, else AT+CFUN=1,1) when the last
   * attempt failed after init; when the modem does not answer and there is a power-on hook: power it
   * on (which ends in init).
   */
  init(next: (o: Outcome<unknown>) => void): void {
    const p = this.o.power;
    if (this.resetFirst) {
      this.resetFirst = false;
      this.socket = null; // the reset closes the modem's sockets
      this.log("resetting the modem before bringing it up again");
      this.modem.power.reset(next);
      return;
    }
    this.modem.network.init((o: Outcome<void>): void => {
      if (o.ok || o.error.kind !== "timeout" || p === undefined || p.on === undefined) return next(o);
      this.log("the modem does not answer: pulsing its power key");
      this.modem.power.powerOn(next);
    });
  }

  retry(ms: number): void {
    if (this.state === "stopped" || this.retryTimer !== 0) return;
    this.setState("retrying");
    this.retryTimer = this.o.clock.setTimeout((): void => {
      this.retryTimer = 0;
      if (this.state === "retrying") this.bringUp();
    }, ms);
  }

  /** Opens the listener on the device port, closing an earlier one first (a repeated bring-up). */
  openListener(next: (o: Outcome<unknown>) => void): void {
    const open = (): void => {
      this.modem.udp.open({ localPort: this.devicePort, mode: "buffer" }, (o: Outcome<UdpSocket>): void => {
        if (o.ok) this.socket = o.value;
        next(o);
      });
    };
    const old = this.socket;
    this.socket = null;
    if (old === null) open();
    else this.modem.udp.close(old, open);
  }

  handle(req: AgentRequest): AgentReply {
    const r = this.agent.handle(req);
    if (req.transport === "ip") this.handledIp++;
    else this.handledSms++;
    if (this.o.onHandled !== undefined) this.o.onHandled(req.transport, r.executed);
    return r;
  }

  onDatagram(d: Datagram): void {
    const r = this.handle({ transport: "ip", bytes: d.data });
    const bytes = r.bytes !== undefined ? r.bytes : [];
    const s = this.socket;
    if (bytes.length === 0) return;
    if (s === null) return this.error("IP reply dropped: no UDP socket");
    this.modem.udp.send(s, bytes, this.moPort, (o: Outcome<number>): void => {
      if (!o.ok) this.error("IP reply not sent: " + explain(o.error));
    });
  }

  onSms(m: SmsMessage): void {
    const r = answer(this, m);
    const done = (o: Outcome<unknown>): void => {
      if (!o.ok) this.error("SMS reply to " + r.to + " not sent: " + explain(o.error));
    };
    if (r.text !== undefined) this.modem.sms.send(r.to, r.text, null, done);
    else if (r.dataHex !== undefined && r.dataHex !== "") this.modem.sms.send(r.to, "", { dataHex: r.dataHex }, done);
  }
}
