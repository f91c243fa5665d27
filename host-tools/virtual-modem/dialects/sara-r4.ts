/**
 * u-blox SARA-R410M / SARA-R5 socket dialect. Sections cite the "SARA-R4 series AT commands manual"
 * (u-blox UBX-17003787), chapter "Internet protocol transport layer" (AT+USOCR, AT+USOST, AT+USORF,
 * AT+USOCL, +UUSORF; each comment names the manual's section title) and AT+UDCONF=1 (HEX mode configuration); the SARA-R5 "AT commands manual" (UBX-19047455)
 * adds the packet switched data profile (AT+UPSD / AT+UPSDA / AT+UPSND). Twilio's Breakout SDK uses the
 * same set (the drivers: firmware/modems/sara-r4.ts).
 */
import { intArg, unquote } from "../at-parser.js";
import type { DeviceSocket } from "../device-sockets.js";
import { PortBusyError } from "../device-sockets.js";
import { cme, ok, type Dialect, type Reply } from "../types.js";
import type { VirtualModem } from "../virtual-modem.js";

const MAX_SOCKETS = 7;

export function saraR4(m: VirtualModem): Dialect {
  const open = new Set<number>();
  let hexMode = false;
  let lastError = 0;
  const psd = { cid: 1, active: false };

  function fail(code: number): Reply {
    lastError = code;
    return cme(code === 4 ? 4 : code === 3 ? 3 : 50);
  }

  function socketOf(arg: string | undefined): DeviceSocket | undefined {
    const id = intArg(arg);
    return id !== undefined && open.has(id) ? m.sockets.get(id) : undefined;
  }

  async function create(id: number, port: number): Promise<DeviceSocket> {
    const s = await m.sockets.open(id, port);
    open.add(id);
    // "Socket Read From" URC +UUSORF: <socket>,<length> for each datagram that arrives
    s.onReceive = (_s, d) => m.urc(`+UUSORF: ${id},${d.data.length}`);
    return s;
  }

  function sendTo(s: DeviceSocket, host: string, port: number, data: Buffer): Reply {
    if (!m.sockets.send(s, host, port, data)) return fail(3);
    return ok(`+USOST: ${s.id},${data.length}`);
  }

  return {
    name: "sara-r4",
    manufacturer: "u-blox",
    model: "SARA-R410M-02B",
    revision: "L0.0.00.00.05.12",
    bootUrcs: [],
    cnmiDefault: [1, 0, 0, 0, 0],
    reset: () => {
      open.clear();
      hexMode = false;
      psd.active = false;
    },
    commands: {
      "+UMNOPROF": (c) => (c.form === "read" ? ok("+UMNOPROF: 100") : ok()),
      "+URAT": (c) => (c.form === "read" ? ok("+URAT: 7") : ok()),
      "+UBANDMASK": () => ok(),
      "+UPSV": (c) => (c.form === "read" ? ok("+UPSV: 0") : ok()),
      "+CPSMS": (c) => (c.form === "read" ? ok("+CPSMS: 0") : ok()),
      // "HEX mode configuration" AT+UDCONF=1,<hex_mode>: socket data as hex strings in AT+USOST / AT+USORF
      "+UDCONF": (c) => {
        const op = intArg(c.args[0]);
        if (op !== 1) return ok();
        if (c.args.length === 1) return ok(`+UDCONF: 1,${hexMode ? 1 : 0}`);
        const v = intArg(c.args[1]);
        if (v !== 0 && v !== 1) return fail(50);
        hexMode = v === 1;
        return ok();
      },
      // SARA-R5 AT+UPSD=<profile>,<param>,<value>: param 100 maps the profile to a PDP context id
      "+UPSD": (c) => {
        if (intArg(c.args[1]) === 100) psd.cid = intArg(c.args[2]) ?? 1;
        return ok();
      },
      // SARA-R5 AT+UPSDA=<profile>,<action>: 3 activate (URC +UUPSDA: 0,"<ip>"), 4 deactivate
      "+UPSDA": (c) => {
        const action = intArg(c.args[1]);
        if (action === 3) {
          if (!m.state.registered) return fail(3);
          psd.active = true;
          m.state.context(psd.cid).active = true;
          return { final: "OK", after: [`+UUPSDA: 0,"${m.state.deviceIp}"`] };
        }
        if (action === 4) psd.active = false;
        return ok();
      },
      // SARA-R5 AT+UPSND=<profile>,<param>: 0 IP address, 8 activation status
      "+UPSND": (c) => {
        const p = intArg(c.args[1]);
        if (p === 0) return ok(`+UPSND: 0,0,"${psd.active ? m.state.deviceIp : "0.0.0.0"}"`);
        return ok(`+UPSND: 0,${p ?? 8},${psd.active ? 1 : 0}`);
      },
      // u-blox AT commands manual, "Module switch off" AT+CPWROFF: stores settings and switches off, then OK
      "+CPWROFF": () => ok(),
      // "Create Socket" AT+USOCR=<protocol>[,<local_port>] → +USOCR: <socket>
      "+USOCR": async (c) => {
        if (c.form === "test") return ok("+USOCR: (6,17),(1-65535)");
        const proto = intArg(c.args[0]);
        const port = intArg(c.args[1]) ?? 0;
        if (proto !== 17) return fail(proto === 6 ? 4 : 50);
        if (Number.isNaN(port) || port < 0 || port > 65535) return fail(50);
        if (!m.state.registered) return fail(3);
        const id = m.sockets.freeId(0, MAX_SOCKETS - 1);
        if (id === undefined) return fail(3);
        try {
          await create(id, port);
        } catch (e) {
          if (e instanceof PortBusyError) return fail(3);
          throw e;
        }
        return ok(`+USOCR: ${id}`);
      },
      // "Set Socket Option" AT+USOSO=<socket>,<level>,<opt_name>,<opt_val>: socket options are accepted
      "+USOSO": (c) => (socketOf(c.args[0]) === undefined ? fail(50) : ok()),
      // "Set Listening Socket" AT+USOLI=<socket>,<port>: a UDP socket moves to that local port
      "+USOLI": async (c) => {
        const s = socketOf(c.args[0]);
        const port = intArg(c.args[1]);
        if (s === undefined || port === undefined || Number.isNaN(port)) return fail(50);
        if (s.devicePort === port) return ok();
        await m.sockets.closeOne(s.id);
        open.delete(s.id);
        try {
          await create(s.id, port);
        } catch (e) {
          if (e instanceof PortBusyError) return fail(3);
          throw e;
        }
        return ok();
      },
      // "SendTo command (UDP only)" AT+USOST=<socket>,<remote_addr>,<remote_port>,<length>[,<data>]; without <data>: "@" prompt, binary
      "+USOST": (c) => {
        const s = socketOf(c.args[0]);
        const host = unquote(c.args[1]);
        const port = intArg(c.args[2]);
        const len = intArg(c.args[3]);
        if (s === undefined || host === undefined || port === undefined || len === undefined || [port, len].some(Number.isNaN)) return fail(50);
        if (len < 0 || len > (hexMode ? 512 : 1024)) return fail(50);
        if (c.args[4] === undefined) {
          return { final: "OK", prompt: { text: "@", until: len, then: (data) => (data === null ? ok() : sendTo(s, host, port, data)) } };
        }
        const raw = unquote(c.args[4]) as string;
        let data: Buffer;
        if (hexMode) {
          if (raw.length !== len * 2 || !/^([0-9A-Fa-f]{2})*$/.test(raw)) return fail(50);
          data = Buffer.from(raw, "hex");
        } else {
          data = Buffer.from(raw, "latin1");
          if (data.length !== len) return fail(50);
        }
        return sendTo(s, host, port, data);
      },
      // "Receive From command (UDP only)" AT+USORF=<socket>,<length> → +USORF: <socket>,"<ip>",<port>,<length>,"<data>"; <length> 0 queries
      "+USORF": (c) => {
        const s = socketOf(c.args[0]);
        const len = intArg(c.args[1]);
        if (s === undefined || len === undefined || Number.isNaN(len)) return fail(50);
        if (len === 0) return ok(`+USORF: ${s.id},${m.sockets.pending(s)}`);
        const d = m.sockets.read(s, Math.min(len, hexMode ? 512 : 1024));
        if (d === undefined) return ok(`+USORF: ${s.id},0`);
        const head = `+USORF: ${s.id},"${d.host}",${d.port},${d.data.length},"`;
        return ok(Buffer.concat([Buffer.from(head), hexMode ? Buffer.from(d.data.toString("hex").toUpperCase()) : d.data, Buffer.from('"')]));
      },
      // "Close Socket" AT+USOCL=<socket>
      "+USOCL": async (c) => {
        const s = socketOf(c.args[0]);
        if (s === undefined) return fail(50);
        open.delete(s.id);
        await m.sockets.closeOne(s.id);
        return ok();
      },
      // "Get Socket Error" AT+USOER: the last socket error
      "+USOER": () => ok(`+USOER: ${lastError}`),
      // "Query Socket" AT+USOCTL=<socket>,<param_id>: 0 type, 1 last error, 10 status
      "+USOCTL": (c) => {
        const s = socketOf(c.args[0]);
        const p = intArg(c.args[1]);
        if (s === undefined || p === undefined) return fail(50);
        const v = p === 0 ? 17 : p === 1 ? lastError : p === 10 ? 1 : 0;
        return ok(`+USOCTL: ${s.id},${p},${v}`);
      },
    },
  };
}
