/**
 * SIMCom SIM7080G (SIM7070/SIM7090 alike). Comments name the command's section of the
 * "SIM7070_SIM7080_SIM7090 Series AT Command Manual" (SIMCom, V1.0x): chapter "AT Commands for IP
 * Application" (AT+CNCFG, AT+CNACT) and chapter "AT Commands for TCP/UDP" (AT+CAOPEN, AT+CASERVER,
 * AT+CACFG, AT+CASEND, AT+CARECV, AT+CACLOSE, +CADATAIND, +CAURC); the SIM7080 TCP/IP Application
 * Note and Twilio's Super SIM Pico demo use the same set. docs/modems.md has the support matrix.
 */
import type { AtEngine, AtResult, Clock } from "../at/index.js";
import { parseDecimal, splitParams } from "../at/index.js";
import { DEFAULT_DEVICE_PORT } from "../core/limits.js";
import type { Datagram, Done, Modem, RxMode, Udp, UdpOpenOptions, UdpSocket } from "./capabilities.js";
import { Generic3gpp, type FamilySteps } from "./generic-3gpp.js";
import { PduSms } from "./sms-pdu.js";
import { SocketTable } from "./socket-table.js";
import { fail, intAt, paramsOf, quoted, step, type Settings } from "./steps.js";

/** manual <cid> range. */
const MAX_CID = 12;
/** manual AT+CASEND <datalen> 1..1459; manual AT+CARECV <readlen> 1..1460. */
export const SIM7080_MAX_SEND = 1459;
export const SIM7080_MAX_READ = 1460;

/** manual "+CARECV: <recvlen>,<data>": the payload starts after the first comma of the open line. */
export function carecvLength(header: string, complete: boolean): number {
  if (complete) return 0; // "+CARECV: 0": nothing to read
  if (header.charCodeAt(header.length - 1) !== 44) return -1;
  return Math.max(0, parseDecimal(splitParams(header.substring(0, header.length - 1))[0] as string));
}

/** manual push mode: +CAURC: "recv",<cid>,<len>[,…]<CR><LF><data>. */
export function caurcLength(header: string, complete: boolean): number {
  if (!complete) return -1;
  const p = splitParams(header);
  return p[0] === "recv" && p.length >= 3 ? Math.max(0, parseDecimal(p[2] as string)) : 0;
}

/** Where the SIM7080G differs from 27.007: its own context commands and power-down command. */
const SIM7080_STEPS: FamilySteps = {
  activateData: function (e: AtEngine, s: Settings, cb: Done<void>): void {
    // manual AT+CNCFG=<pdpidx>,<ip_type 1 IPv4>,<APN>: the APN of PDP index 0.
    step(e, "AT+CNCFG=0,1," + quoted(s.apn), null, cb, () => {
      // manual AT+CNACT? → +CNACT: <pdpidx>,<statusx>,<address>: already active?
      step(e, "AT+CNACT?", { prefix: "+CNACT:" }, cb, (r: AtResult) => {
        for (let i = 0; i < r.lines.length; i++) {
          const p = splitParams(r.lines[i] as string);
          if (intAt(p, 0) === 0 && intAt(p, 1) === 1) return cb({ ok: true, value: undefined });
        }
        // manual AT+CNACT=<pdpidx>,<action 1 active> → OK, then +APP PDP: 0,ACTIVE
        step(e, "AT+CNACT=0,1", { timeout: s.dataTimeout }, cb, () => {
          cb({ ok: true, value: undefined });
        });
      });
    });
  },
  powerDownCommand: "AT+CPOWD=1", // manual AT+CPOWD "Power off" normal power off → NORMAL POWER DOWN
};

interface Remote {
  id: number;
  port: number;
}

export class Sim7080Udp implements Udp {
  modes: RxMode[] = ["push", "buffer"];
  private engine: AtEngine;
  private s: Settings;
  private table: SocketTable;
  /** The remote port each socket sends to now (AT+CACFG "REMOTEADDR" / AT+CAOPEN). */
  private remotes: Remote[] = [];

  constructor(engine: AtEngine, _clock: Clock, s: Settings) {
    this.engine = engine;
    this.s = s;
    this.table = new SocketTable(s.onError);
    // manual +CADATAIND: <cid>: data waits for AT+CARECV (<recv_mode> 0, and server sockets).
    engine.onUrc("+CADATAIND:", (lines: string[]): void => {
      this.drain(intAt(splitParams(lines[0] as string), 0));
    });
    // manual +CAURC: "recv",<cid>,<len><CR><LF><data> (<recv_mode> 1); other +CAURC kinds ("closed").
    engine.onUrc(
      "+CAURC:",
      (lines: string[], data: number[]): void => {
        const p = splitParams(lines[0] as string);
        const id = intAt(p, 1);
        if (p[0] === "recv") this.table.deliver({ socket: id, host: p[3] !== undefined ? p[3] : "", port: intAt(p, 4) < 0 ? 0 : intAt(p, 4), data: data });
        else if (p[0] === "closed") this.forget(id);
      },
      { data: caurcLength },
    );
  }

  onDatagram(handler: (d: Datagram) => void): void {
    this.table.setHandler(handler);
  }

  forgetAll(): void {
    this.table.clear();
    this.remotes = [];
  }

  /**
   * buffer: a UDP server on the local port (manual AT+CASERVER, the socket IP Commands reach);
   * push: a connected UDP socket to remoteHost:remotePort on a port the modem picks (manual AT+CAOPEN).
   */
  open(o: UdpOpenOptions, cb: Done<UdpSocket>): void {
    const id = this.table.freeId(0, MAX_CID);
    if (id < 0) return cb(fail("rejected", "AT+CAOPEN", -1, "no free <cid>"));
    if (o.mode === "buffer") {
      // manual AT+CASERVER=<cid>,<pdp_index>,"UDP",<port>
      step(this.engine, "AT+CASERVER=" + id + ',0,"UDP",' + o.localPort, { timeout: this.s.dataTimeout }, cb, () => {
        cb({ ok: true, value: this.table.add(id, o.localPort, "buffer") });
      });
      return;
    }
    const port = o.remotePort !== undefined ? o.remotePort : DEFAULT_DEVICE_PORT;
    // manual AT+CAOPEN=<cid>,<pdp_index>,"UDP",<server>,<port>,<recv_mode 1 push> → +CAOPEN: <cid>,<result>
    const cmd = "AT+CAOPEN=" + id + ',0,"UDP",' + quoted(this.s.remoteHost) + "," + port + ",1";
    step(this.engine, cmd, { prefix: "+CAOPEN:", timeout: this.s.dataTimeout }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+CAOPEN:");
      const result = p === null ? -1 : intAt(p, 1);
      if (result !== 0) return cb(fail("rejected", cmd, result, "+CAOPEN: " + id + "," + result));
      this.setRemote(id, port);
      cb({ ok: true, value: this.table.add(id, 0, "push") }); // the modem picks the local port
    });
  }

  send(socket: UdpSocket, data: number[], port: number, cb: Done<number>): void {
    if (data.length === 0 || data.length > SIM7080_MAX_SEND) return cb(fail("rejected", "AT+CASEND", -1, "UDP payload must be 1.." + SIM7080_MAX_SEND + " octets"));
    const casend = (): void => {
      // manual AT+CASEND=<cid>,<datalen> → ">" → <datalen> octets → OK
      step(this.engine, "AT+CASEND=" + socket.id + "," + data.length, { payload: data, timeout: 10000 }, cb, () => {
        cb({ ok: true, value: data.length });
      });
    };
    if (this.remoteOf(socket.id) === port) return casend();
    // manual AT+CACFG="REMOTEADDR",<cid>,<ip>,<port>: where a server socket's datagrams go
    step(this.engine, 'AT+CACFG="REMOTEADDR",' + socket.id + "," + quoted(this.s.remoteHost) + "," + port, null, cb, () => {
      this.setRemote(socket.id, port);
      casend();
    });
  }

  read(socket: UdpSocket, cb: Done<Datagram | null>): void {
    // manual AT+CARECV=<cid>,<readlen> → +CARECV: <recvlen>,<data> (or +CARECV: 0)
    const cmd = "AT+CARECV=" + socket.id + "," + SIM7080_MAX_READ;
    step(this.engine, cmd, { prefix: "+CARECV:", data: { prefix: "+CARECV:", length: carecvLength } }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+CARECV:");
      const n = p === null ? -1 : intAt(p, 0);
      if (n < 0) return cb(fail("protocol", cmd, -1, "no +CARECV: <recvlen>"));
      if (n === 0) return cb({ ok: true, value: null });
      const d = r.data[0];
      if (d === undefined || d.length !== n) return cb(fail("protocol", cmd, -1, "payload shorter than +CARECV: " + n));
      cb({ ok: true, value: { socket: socket.id, host: "", port: 0, data: d } });
    });
  }

  close(socket: UdpSocket, cb: Done<void>): void {
    // manual AT+CACLOSE=<cid>
    step(this.engine, "AT+CACLOSE=" + socket.id, { timeout: 10000 }, cb, () => {
      this.forget(socket.id);
      cb({ ok: true, value: undefined });
    });
  }

  private drain(id: number): void {
    this.table.drain(id, (s: UdpSocket, cb: Done<Datagram | null>) => {
      this.read(s, cb);
    });
  }

  private forget(id: number): void {
    this.table.remove(id);
    this.setRemote(id, -1);
  }

  private remoteOf(id: number): number {
    for (let i = 0; i < this.remotes.length; i++) if ((this.remotes[i] as Remote).id === id) return (this.remotes[i] as Remote).port;
    return -1;
  }

  private setRemote(id: number, port: number): void {
    for (let i = 0; i < this.remotes.length; i++) {
      if ((this.remotes[i] as Remote).id === id) {
        this.remotes.splice(i, 1);
        break;
      }
    }
    if (port >= 0) this.remotes.push({ id: id, port: port });
  }
}

/** A SIM7080G driver on `engine`. */
export function sim7080(engine: AtEngine, clock: Clock, s: Settings): Modem {
  const net = new Generic3gpp(engine, clock, s, SIM7080_STEPS);
  const udp = new Sim7080Udp(engine, clock, s);
  net.onPowerCycle(() => udp.forgetAll());
  return { family: "sim7080", network: net, power: net, sms: new PduSms(engine, clock, s), udp: udp };
}
