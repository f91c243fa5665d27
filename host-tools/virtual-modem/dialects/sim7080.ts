/**
 * SIMCom SIM7080G socket dialect. Sections cite the "SIM7070_SIM7080_SIM7090 Series AT Command Manual"
 * (SIMCom, V1.0x): chapter "AT Commands for IP Application" (AT+CNACT, AT+CNCFG) and chapter "AT
 * Commands for TCP/UDP" (AT+CAOPEN … AT+CACFG). Twilio's Pico demo uses the same set (the driver: firmware/modems/sim7080.ts).
 */
import { intArg, unquote } from "../at-parser.js";
import type { DeviceSocket } from "../device-sockets.js";
import { PortBusyError } from "../device-sockets.js";
import { error, ok, type Dialect, type Reply } from "../types.js";
import type { VirtualModem } from "../virtual-modem.js";

interface Conn {
  cid: number;
  kind: "client" | "server";
  pdp: number;
  /** <recv_mode> of AT+CAOPEN: 0 read with AT+CARECV after +CADATAIND, 1 data pushed with +CAURC. */
  push: boolean;
  socket: DeviceSocket;
}

/** <result> codes of +CAOPEN. */
const RESULT = { ok: 0, socketError: 1, parameterInvalid: 4, notSupported: 7, cannotBind: 12, networkNotActive: 21 } as const;

export function sim7080(m: VirtualModem): Dialect {
  const conns = new Map<number, Conn>();
  const active = new Set<number>();

  async function open(cid: number, kind: Conn["kind"], pdp: number, push: boolean, localPort: number): Promise<number> {
    if (conns.has(cid)) return RESULT.socketError;
    if (!active.has(pdp) || !m.state.registered) return RESULT.networkNotActive;
    let socket: DeviceSocket;
    try {
      socket = await m.sockets.open(cid, localPort);
    } catch (e) {
      if (e instanceof PortBusyError) return RESULT.cannotBind;
      throw e;
    }
    const conn: Conn = { cid, kind, pdp, push, socket };
    socket.onReceive = (s, _d, wasEmpty) => {
      if (kind === "server") s.remote ??= { host: _d.host, port: _d.port };
      if (conn.push) {
        const d = m.sockets.read(s) as NonNullable<ReturnType<typeof m.sockets.read>>;
        m.urc([`+CAURC: "recv",${cid},${d.data.length}`, d.data]);
      } else if (wasEmpty) m.urc(`+CADATAIND: ${cid}`);
    };
    conns.set(cid, conn);
    return RESULT.ok;
  }

  function send(conn: Conn, data: Buffer): Reply {
    const r = conn.socket.remote;
    if (r === undefined) return error();
    return m.sockets.send(conn.socket, r.host, r.port, data) ? ok() : error();
  }

  return {
    name: "sim7080",
    manufacturer: "SIMCOM INCORPORATED",
    model: "SIM7080G",
    revision: "1951B17SIM7080",
    bootUrcs: ["RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"],
    cnmiDefault: [2, 1, 0, 0, 0],
    reset: () => {
      conns.clear();
      active.clear();
    },
    commands: {
      // SIM7070/SIM7080/SIM7090 AT Command Manual, AT+CPOWD power off: 1 = normal power off
      "+CPOWD": (c) => (c.args[0] === "1" || c.args[0] === "0" ? { final: "OK", after: ["NORMAL POWER DOWN"] } : error()),
      // AT+CCID answers the bare ICCID on SIMCom modules
      "+CCID": (c) => (c.form === "test" ? ok() : ok(m.state.identity.iccid)),
      "+CNMP": (c) => (c.form === "read" ? ok("+CNMP: 38") : ok()),
      "+CMNB": (c) => (c.form === "read" ? ok("+CMNB: 1") : ok()),
      "+CBANDCFG": () => ok(),
      "+CGNAPN": () => ok(`+CGNAPN: 1,"${m.state.context(1).apn}"`),
      // AT+CNCFG=<pdpidx>,<ip_type>[,<APN>[,<username>,<password>[,<authentication>]]]
      "+CNCFG": (c) => {
        const idx = intArg(c.args[0]);
        if (c.form === "read") return ok(...[0, 1, 2, 3].map((i) => `+CNCFG: ${i},1,"${m.state.context(i + 1).apn}","","",0`));
        if (idx === undefined || Number.isNaN(idx) || idx < 0 || idx > 3) return error();
        if (c.args[2] !== undefined) m.state.context(idx + 1).apn = unquote(c.args[2]) ?? "";
        return ok();
      },
      // AT+CNACT=<pdpidx>,<action>: 0 deactivate, 1 activate, 2 auto; URC +APP PDP: <pdpidx>,ACTIVE|DEACTIVE
      "+CNACT": (c) => {
        if (c.form === "test") return ok("+CNACT: (0-3),(0-2)");
        if (c.form === "read") return ok(...[0, 1, 2, 3].map((i) => `+CNACT: ${i},${active.has(i) ? 1 : 0},"${active.has(i) ? m.state.deviceIp : "0.0.0.0"}"`));
        const idx = intArg(c.args[0]);
        const action = intArg(c.args[1]);
        if (idx === undefined || Number.isNaN(idx) || idx < 0 || idx > 3 || action === undefined || action < 0 || action > 2) return error();
        if (action === 0) {
          if (!active.delete(idx)) return error();
          m.state.context(idx + 1).active = false;
          return { final: "OK", after: [`+APP PDP: ${idx},DEACTIVE`] };
        }
        if (!m.state.registered) return error();
        if (active.has(idx)) return error(); // already active
        active.add(idx);
        m.state.context(idx + 1).active = true;
        return { final: "OK", after: [`+APP PDP: ${idx},ACTIVE`] };
      },
      "+CACID": () => ok(),
      "+CASSLCFG": () => ok(),
      // AT+CAOPEN=<cid>,<pdp_index>,<conn_type>,<server>,<port>[,<recv_mode>] → +CAOPEN: <cid>,<result>
      "+CAOPEN": async (c) => {
        if (c.form === "test") return ok('+CAOPEN: (0-12),(0-3),("TCP","UDP"),"server",(1-65535),(0,1)');
        if (c.form === "read") return ok(...[...conns.values()].map((x) => `+CAOPEN: ${x.cid},${x.pdp},"UDP","${x.socket.remote?.host ?? ""}",${x.socket.remote?.port ?? 0}`));
        const [cid, pdp, port, mode] = [c.args[0], c.args[1], c.args[4], c.args[5]].map(intArg);
        const type = unquote(c.args[2])?.toUpperCase();
        if (cid === undefined || Number.isNaN(cid) || cid < 0 || cid > 12) return error();
        let result: number;
        if (pdp === undefined || port === undefined || Number.isNaN(port) || c.args[3] === undefined) result = RESULT.parameterInvalid;
        else if (type !== "UDP") result = RESULT.notSupported;
        else {
          result = await open(cid, "client", pdp, mode === 1, 0);
          if (result === RESULT.ok) (conns.get(cid) as Conn).socket.remote = { host: unquote(c.args[3]) as string, port };
        }
        return ok(`+CAOPEN: ${cid},${result}`);
      },
      // AT+CASERVER=<cid>,<pdp_index>,<conn_type>,<port>: a UDP server on the local port (the Pico demo's listener)
      "+CASERVER": async (c) => {
        const [cid, pdp, port] = [c.args[0], c.args[1], c.args[3]].map(intArg);
        if (cid === undefined || pdp === undefined || port === undefined || [cid, pdp, port].some(Number.isNaN)) return error();
        if (unquote(c.args[2])?.toUpperCase() !== "UDP") return error();
        return (await open(cid, "server", pdp, false, port)) === RESULT.ok ? ok() : error();
      },
      // AT+CACFG="REMOTEADDR",<cid>,<ip>,<port> sets where a server socket sends; other settings are accepted
      "+CACFG": (c) => {
        if (c.form !== "set") return ok();
        if (unquote(c.args[0])?.toUpperCase() === "REMOTEADDR") {
          const conn = conns.get(intArg(c.args[1]) ?? -1);
          const port = intArg(c.args[3]);
          if (conn === undefined || port === undefined || Number.isNaN(port)) return error();
          conn.socket.remote = { host: unquote(c.args[2]) as string, port };
        }
        return ok();
      },
      // AT+CASEND=<cid>,<datalen>[,<inputtime>] → ">" → <datalen> bytes → OK
      "+CASEND": (c) => {
        if (c.form === "test") return ok("+CASEND: (0-12),(1-1459),(1-5000)");
        const conn = conns.get(intArg(c.args[0]) ?? -1);
        const len = intArg(c.args[1]);
        if (conn === undefined || len === undefined || Number.isNaN(len) || len < 1 || len > 1459) return error();
        return { final: "OK", prompt: { text: "\r\n>", until: len, then: (data) => (data === null ? ok() : send(conn, data)) } };
      },
      // AT+CARECV=<cid>,<readlen> → +CARECV: <recvlen>,<data>
      "+CARECV": (c) => {
        const conn = conns.get(intArg(c.args[0]) ?? -1);
        const len = intArg(c.args[1]);
        if (conn === undefined || len === undefined || Number.isNaN(len) || len < 1 || len > 1460) return error();
        const d = m.sockets.read(conn.socket, len);
        if (d === undefined) return ok("+CARECV: 0");
        return ok(Buffer.concat([Buffer.from(`+CARECV: ${d.data.length},`), d.data]));
      },
      // AT+CACLOSE=<cid>
      "+CACLOSE": async (c) => {
        const cid = intArg(c.args[0]);
        if (cid === undefined || !conns.delete(cid)) return error();
        await m.sockets.closeOne(cid);
        return ok();
      },
      // AT+CASTATE? → +CASTATE: <cid>,<state> (1 connected, 2 listening)
      "+CASTATE": () => ok(...[...conns.values()].map((x) => `+CASTATE: ${x.cid},${x.kind === "server" ? 2 : 1}`)),
    },
  };
}
