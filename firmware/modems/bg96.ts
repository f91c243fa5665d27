/**
 * Quectel BG96 / BG95. Sections cite the "BG96 TCP/IP AT Commands Manual" (Quectel, V1.0,
 * 2017-11-23; the TCP/IP Application Note has the same chapter 2), and the "BG96 AT Commands
 * Manual" V2.x for AT+QCCID / AT+QPOWD. docs/modems.md has the support matrix.
 */
import type { AtEngine, AtResult, Clock } from "../at/index.js";
import { parseDecimal, splitParams } from "../at/index.js";
import type { Datagram, Done, Modem, Udp, UdpOpenOptions, UdpSocket } from "./capabilities.js";
import type { RxMode } from "./capabilities.js";
import { Generic3gpp, type FamilySteps } from "./generic-3gpp.js";
import { PduSms } from "./sms-pdu.js";
import { SocketTable } from "./socket-table.js";
import { fail, intAt, modemError, paramsOf, quoted, step, type Settings } from "./steps.js";

/** §2.2.4 <connectID> range. */
const MAX_CONNECT_ID = 11;
/** §2.2.7 largest UDP <send_length>; §2.2.8 largest <read_length>. */
export const BG96_MAX_SEND = 1460;
export const BG96_MAX_READ = 1500;

/** §2.3.1/§2.3.2 +QIURC: "recv",<id>[,<len>,"<ip>",<port>]: push mode carries <len> octets after the line. */
export function qiurcLength(header: string, complete: boolean): number {
  if (!complete) return -1;
  const p = splitParams(header);
  return p[0] === "recv" && p.length >= 3 ? Math.max(0, parseDecimal(p[2] as string)) : 0;
}

/** §2.2.8 +QIRD: <read_actual_length>[,"<ip>",<port>] then the octets. */
export function qirdLength(header: string, complete: boolean): number {
  if (!complete) return -1;
  return Math.max(0, parseDecimal(splitParams(header)[0] as string));
}

/** Where the BG96 differs from 27.007: its own context commands, ICCID and power-down commands. */
const BG96_STEPS: FamilySteps = {
  activateData: function (e: AtEngine, s: Settings, cb: Done<void>): void {
    const ctx = s.contextId;
    const t = s.dataTimeout;
    // §2.2.1 AT+QICSGP=<contextID>,<context_type 1 IPv4>,<APN>,<username>,<password>,<authentication 0 none>
    step(e, "AT+QICSGP=" + ctx + ",1," + quoted(s.apn) + ',"","",0', null, cb, () => {
      // §2.2.2 AT+QIACT? lists active contexts: +QIACT: <contextID>,<state>,<type>,<ip>
      step(e, "AT+QIACT?", { prefix: "+QIACT:", timeout: t }, cb, (r: AtResult) => {
        for (let i = 0; i < r.lines.length; i++) {
          const p = splitParams(r.lines[i] as string);
          if (intAt(p, 0) === ctx && intAt(p, 1) === 1) return cb({ ok: true, value: undefined });
        }
        // §2.2.2 AT+QIACT=<contextID> (max. response time 150 s)
        step(e, "AT+QIACT=" + ctx, { timeout: t }, cb, () => {
          cb({ ok: true, value: undefined });
        });
      });
    });
  },
  iccidCommand: "AT+QCCID", // BG96 AT Commands Manual: AT+QCCID → +QCCID: <iccid>
  powerDownCommand: "AT+QPOWD=1", // BG96 AT Commands Manual: AT+QPOWD=1 normal power down → POWERED DOWN
};

interface PendingOpen {
  id: number;
  cb: (err: number) => void;
  timer: number;
}

export class Bg96Udp implements Udp {
  modes: RxMode[] = ["push", "buffer"];
  private engine: AtEngine;
  private clock: Clock;
  private s: Settings;
  private table: SocketTable;
  private opening: PendingOpen[] = [];

  constructor(engine: AtEngine, clock: Clock, s: Settings) {
    this.engine = engine;
    this.clock = clock;
    this.s = s;
    this.table = new SocketTable(s.onError);
    // §2.2.4 the result of AT+QIOPEN arrives later: +QIOPEN: <connectID>,<err> (0 = success).
    engine.onUrc("+QIOPEN:", (lines: string[]): void => {
      const p = splitParams(lines[0] as string);
      this.opened(intAt(p, 0), intAt(p, 1));
    });
    // §2.3 +QIURC: "recv" (push: with the payload; buffer: an announcement), "closed", "pdpdeact".
    engine.onUrc(
      "+QIURC:",
      (lines: string[], data: number[]): void => {
        this.urc(splitParams(lines[0] as string), data);
      },
      { data: qiurcLength },
    );
  }

  onDatagram(handler: (d: Datagram) => void): void {
    this.table.setHandler(handler);
  }

  forgetAll(): void {
    this.table.clear();
  }

  open(o: UdpOpenOptions, cb: Done<UdpSocket>): void {
    const id = this.table.freeId(0, MAX_CONNECT_ID);
    if (id < 0) return cb(fail("rejected", "AT+QIOPEN", -1, "no free connectID"));
    const mode = o.mode === "push" ? 1 : 0;
    // §2.2.4 AT+QIOPEN=<contextID>,<connectID>,"UDP SERVICE","127.0.0.1",0,<local_port>,<access_mode 0 buffer|1 push>
    const cmd = "AT+QIOPEN=" + this.s.contextId + "," + id + ',"UDP SERVICE","127.0.0.1",0,' + o.localPort + "," + mode;
    const pending: PendingOpen = {
      id: id,
      timer: 0,
      cb: (err: number): void => {
        if (err === 0) return cb({ ok: true, value: this.table.add(id, o.localPort, o.mode) });
        if (err === -2) return cb(fail("timeout", cmd, -1, "no +QIOPEN: within " + this.s.dataTimeout + " ms"));
        cb(fail("rejected", cmd, err, "+QIOPEN: " + id + "," + err));
      },
    };
    this.opening.push(pending);
    pending.timer = this.clock.setTimeout(() => {
      pending.timer = 0;
      this.opened(id, -2);
    }, this.s.dataTimeout);
    this.engine.send(cmd, null, (r: AtResult) => {
      if (r.kind === "ok") return; // +QIOPEN: <id>,<err> follows
      if (this.take(id) !== null) cb(fail("at", cmd, -1, "AT+QIOPEN answered " + r.kind));
    });
  }

  send(socket: UdpSocket, data: number[], port: number, cb: Done<number>): void {
    if (data.length === 0 || data.length > BG96_MAX_SEND) return cb(fail("rejected", "AT+QISEND", -1, "UDP payload must be 1.." + BG96_MAX_SEND + " octets"));
    // §2.2.7 AT+QISEND=<connectID>,<send_length>,<remoteIP>,<remote_port> → ">" → data → SEND OK | SEND FAIL
    const cmd = "AT+QISEND=" + socket.id + "," + data.length + "," + quoted(this.s.remoteHost) + "," + port;
    step(this.engine, cmd, { payload: data, okLines: ["SEND OK"], errorLines: ["SEND FAIL"], timeout: 10000 }, cb, () => {
      cb({ ok: true, value: data.length });
    });
  }

  read(socket: UdpSocket, cb: Done<Datagram | null>): void {
    // §2.2.8 AT+QIRD=<connectID>,<read_length> → +QIRD: <len>,"<ip>",<port><CR><LF><data> (UDP SERVICE)
    const cmd = "AT+QIRD=" + socket.id + "," + BG96_MAX_READ;
    step(this.engine, cmd, { prefix: "+QIRD:", data: { prefix: "+QIRD:", length: qirdLength } }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+QIRD:");
      const n = p === null ? -1 : intAt(p, 0);
      if (p === null || n < 0) return cb(fail("protocol", cmd, -1, "no +QIRD: <len>"));
      if (n === 0) return cb({ ok: true, value: null });
      const d = r.data[0];
      if (d === undefined || d.length !== n) return cb(fail("protocol", cmd, -1, "payload shorter than +QIRD: " + n));
      cb({ ok: true, value: { socket: socket.id, host: p[1] !== undefined ? p[1] : "", port: p[2] !== undefined ? parseDecimal(p[2]) : 0, data: d } });
    });
  }

  close(socket: UdpSocket, cb: Done<void>): void {
    // §2.2.5 AT+QICLOSE=<connectID>
    step(this.engine, "AT+QICLOSE=" + socket.id, { timeout: 10000 }, cb, () => {
      this.table.remove(socket.id);
      cb({ ok: true, value: undefined });
    });
  }

  private urc(p: string[], data: number[]): void {
    const id = intAt(p, 1);
    if (p[0] === "recv") {
      if (p.length >= 3) {
        // §2.3.2 push mode: +QIURC: "recv",<id>,<len>,"<ip>",<port><CR><LF><data>
        this.table.deliver({ socket: id, host: p[3] !== undefined ? p[3] : "", port: intAt(p, 4), data: data });
        return;
      }
      this.table.drain(id, (s: UdpSocket, cb: Done<Datagram | null>) => {
        this.read(s, cb);
      });
    } else if (p[0] === "closed") {
      this.table.remove(id);
      this.s.onError(modemError("rejected", "+QIURC", id, "socket " + id + " closed by the modem"));
    }
  }

  private take(id: number): PendingOpen | null {
    for (let i = 0; i < this.opening.length; i++) {
      const o = this.opening[i] as PendingOpen;
      if (o.id === id) {
        this.opening.splice(i, 1);
        if (o.timer !== 0) this.clock.clearTimeout(o.timer);
        return o;
      }
    }
    return null;
  }

  private opened(id: number, err: number): void {
    const o = this.take(id);
    if (o !== null) o.cb(err);
  }
}

/** A BG96 / BG95 driver on `engine`. */
export function bg96(engine: AtEngine, clock: Clock, s: Settings): Modem {
  const net = new Generic3gpp(engine, clock, s, BG96_STEPS);
  const udp = new Bg96Udp(engine, clock, s);
  net.onPowerCycle(() => udp.forgetAll());
  return { family: "bg96", network: net, power: net, sms: new PduSms(engine, clock, s), udp: udp };
}
