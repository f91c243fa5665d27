/**
 * u-blox SARA-R410M / SARA-R5. Comments name the section of the "SARA-R4 series AT commands
 * manual" (u-blox UBX-17003787), chapter "Internet protocol transport layer": "Create Socket"
 * AT+USOCR, "SendTo command (UDP only)" AT+USOST, "Socket Read From" +UUSORF / "Receive From command
 * (UDP only)" AT+USORF, "Close Socket" AT+USOCL; and "HEX mode configuration" AT+UDCONF=1. Data
 * travels in hex mode, so payloads are plain line text (≤ 512 octets per command). Twilio's
 * Breakout SDK uses the same set; docs/modems.md has the support matrix.
 */
import type { AtEngine, AtResult, Clock } from "../at/index.js";
import { parseDecimal, splitParams } from "../at/index.js";
import { bytesToHex, hexToBytes } from "../core/hex.js";
import type { Datagram, Done, Modem, RxMode, Udp, UdpOpenOptions, UdpSocket } from "./capabilities.js";
import { Generic3gpp, type FamilySteps } from "./generic-3gpp.js";
import { PduSms } from "./sms-pdu.js";
import { SocketTable } from "./socket-table.js";
import { fail, intAt, paramsOf, quoted, step, type Settings } from "./steps.js";

/** "HEX mode configuration": at most 512 octets per AT+USOST / AT+USORF in hex mode. */
export const SARA_MAX_HEX = 512;

/** Octets of a hex string, or null when it is not one. */
export function hexOctets(hex: string): number[] | null {
  try {
    return hexToBytes(hex);
  } catch (_e) {
    return null;
  }
}

/** Parses "+USORF: <socket>,"<ip>",<port>,<length>,"<hex>"" into a datagram (null: none / malformed). */
export function parseUsorf(p: string[]): Datagram | null {
  const len = intAt(p, 3);
  const data = p[4] !== undefined ? hexOctets(p[4]) : null;
  if (len <= 0 || data === null || data.length !== len) return null;
  return { socket: intAt(p, 0), host: p[1] !== undefined ? p[1] : "", port: parseDecimal(p[2] as string), data: data };
}

/** Where the SARA-R4/R5 differs from 27.007: its power-down command ("Module switch off" AT+CPWROFF). */
const SARA_STEPS: FamilySteps = { powerDownCommand: "AT+CPWROFF" };

export class SaraR4Udp implements Udp {
  /** +UUSORF only announces data: there is no push mode. */
  modes: RxMode[] = ["buffer"];
  private engine: AtEngine;
  private table: SocketTable;
  private s: Settings;

  constructor(engine: AtEngine, _clock: Clock, s: Settings) {
    this.engine = engine;
    this.s = s;
    this.table = new SocketTable(s.onError);
    // "Socket Read From" URC +UUSORF: <socket>,<length>: a datagram waits for AT+USORF.
    engine.onUrc("+UUSORF:", (lines: string[]): void => {
      this.table.drain(intAt(splitParams(lines[0] as string), 0), (sock: UdpSocket, cb: Done<Datagram | null>) => {
        this.read(sock, cb);
      });
    });
  }

  onDatagram(handler: (d: Datagram) => void): void {
    this.table.setHandler(handler);
  }

  forgetAll(): void {
    this.table.clear();
  }

  open(o: UdpOpenOptions, cb: Done<UdpSocket>): void {
    if (o.mode !== "buffer") return cb(fail("unsupported", "AT+USOCR", -1, "SARA-R4 sockets have no push mode"));
    this.hexMode(cb, () => {
      // "Create Socket" AT+USOCR=17,<local_port> → +USOCR: <socket>
      const cmd = "AT+USOCR=17," + o.localPort;
      step(this.engine, cmd, { prefix: "+USOCR:", timeout: 10000 }, cb, (r: AtResult) => {
        const p = paramsOf(r.lines, "+USOCR:");
        const id = p === null ? -1 : intAt(p, 0);
        if (id < 0) return cb(fail("protocol", cmd, -1, "no +USOCR: <socket>"));
        cb({ ok: true, value: this.table.add(id, o.localPort, "buffer") });
      });
    });
  }

  send(socket: UdpSocket, data: number[], port: number, cb: Done<number>): void {
    if (data.length === 0 || data.length > SARA_MAX_HEX) return cb(fail("rejected", "AT+USOST", -1, "UDP payload must be 1.." + SARA_MAX_HEX + " octets"));
    // "SendTo command (UDP only)" AT+USOST=<socket>,<remote_addr>,<remote_port>,<length>,<data> → +USOST: <socket>,<length>
    const cmd = "AT+USOST=" + socket.id + "," + quoted(this.s.remoteHost) + "," + port + "," + data.length + "," + quoted(bytesToHex(data));
    step(this.engine, cmd, { prefix: "+USOST:", timeout: 10000 }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+USOST:");
      const sent = p === null ? -1 : intAt(p, 1);
      if (sent < 0) return cb(fail("protocol", "AT+USOST", -1, "no +USOST: <socket>,<length>"));
      cb({ ok: true, value: sent });
    });
  }

  read(socket: UdpSocket, cb: Done<Datagram | null>): void {
    // "Receive From command (UDP only)" AT+USORF=<socket>,<length> → +USORF: <socket>,"<ip>",<port>,<length>,"<hex>"
    const cmd = "AT+USORF=" + socket.id + "," + SARA_MAX_HEX;
    step(this.engine, cmd, { prefix: "+USORF:" }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+USORF:");
      if (p === null) return cb(fail("protocol", cmd, -1, "no +USORF: line"));
      if (p.length < 5) return cb({ ok: true, value: null }); // "+USORF: <socket>,0": nothing waiting
      const d = parseUsorf(p);
      if (d === null) return cb(fail("protocol", cmd, -1, "malformed +USORF: " + (r.lines[0] as string)));
      cb({ ok: true, value: d });
    });
  }

  close(socket: UdpSocket, cb: Done<void>): void {
    // "Close Socket" AT+USOCL=<socket>
    step(this.engine, "AT+USOCL=" + socket.id, { timeout: 10000 }, cb, () => {
      this.table.remove(socket.id);
      cb({ ok: true, value: undefined });
    });
  }

  /** "HEX mode configuration" AT+UDCONF=1,1 before each open: a reboot puts the modem back in binary mode. */
  private hexMode(cb: Done<UdpSocket>, next: () => void): void {
    step(this.engine, "AT+UDCONF=1,1", null, cb, next);
  }
}

/** A SARA-R410M / R5 driver on `engine`. */
export function saraR4(engine: AtEngine, clock: Clock, s: Settings): Modem {
  const net = new Generic3gpp(engine, clock, s, SARA_STEPS);
  const udp = new SaraR4Udp(engine, clock, s);
  net.onPowerCycle(() => udp.forgetAll());
  return { family: "sara-r4", network: net, power: net, sms: new PduSms(engine, clock, s), udp: udp };
}
