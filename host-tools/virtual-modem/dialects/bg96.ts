/**
 * Quectel BG96 / BG95 socket dialect. Sections cite the "BG96 TCP/IP Application Note" (Quectel,
 * V1.x; the same commands as the "BG96 TCP/IP AT Commands Manual" V1.0, 2017-11-23), chapter 2.
 * The driver that speaks it: firmware/modems/bg96.ts.
 */
import { intArg, unquote } from "../at-parser.js";
import type { DeviceSocket } from "../device-sockets.js";
import { PortBusyError } from "../device-sockets.js";
import { error, ok, type Dialect, type Reply } from "../types.js";
import type { VirtualModem } from "../virtual-modem.js";

interface Conn {
  id: number;
  service: "UDP" | "UDP SERVICE";
  contextId: number;
  accessMode: 0 | 1;
  socket: DeviceSocket;
}

/** §4 (Summary of Error Codes) values used here. */
const ERR = { invalidParameters: 552, openPdpFailed: 561, socketIdUsed: 563, operationNotSupported: 555, portBusy: 574 } as const;

export function bg96(m: VirtualModem): Dialect {
  const conns = new Map<number, Conn>();
  let lastError = 0;

  function openResult(id: number, err: number): Reply {
    lastError = err;
    return { final: "OK", after: [`+QIOPEN: ${id},${err}`] };
  }

  function onReceive(c: Conn): (s: DeviceSocket, d: unknown, wasEmpty: boolean) => void {
    return (s, _d, wasEmpty) => {
      if (c.accessMode === 1) {
        // §2.3.2 direct push mode: the data follows the URC.
        const d = m.sockets.read(s) as NonNullable<ReturnType<typeof m.sockets.read>>;
        const head = c.service === "UDP SERVICE" ? `+QIURC: "recv",${c.id},${d.data.length},"${d.host}",${d.port}` : `+QIURC: "recv",${c.id},${d.data.length}`;
        m.urc([head, d.data]);
      } else if (wasEmpty) m.urc(`+QIURC: "recv",${c.id}`); // §2.3.1 buffer access mode
    };
  }

  function send(c: Conn, host: string, port: number, data: Buffer): Reply {
    return m.sockets.send(c.socket, host, port, data) ? { final: { text: "SEND OK" } } : { final: { text: "SEND FAIL" } };
  }

  return {
    name: "bg96",
    manufacturer: "Quectel",
    model: "BG96",
    revision: "BG96MAR02A07M1G",
    bootUrcs: ["RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE"],
    cnmiDefault: [2, 1, 0, 0, 0],
    reset: () => conns.clear(),
    commands: {
      // BG96 AT Commands Manual §5.x: AT+QCCID shows the ICCID
      "+QCCID": (c) => (c.form === "test" ? ok() : ok(`+QCCID: ${m.state.identity.iccid}`)),
      "+QCFG": () => ok(),
      "+QURCCFG": () => ok(),
      "+QNWINFO": () => ok(m.state.registered ? `+QNWINFO: "eMTC","${m.state.identity.plmn}","LTE BAND 12",5110` : '+QNWINFO: No Service'),
      "+QCSQ": () => ok(m.state.registered ? '+QCSQ: "eMTC",-71,-95,148,-9' : '+QCSQ: "NOSERVICE"'),
      // BG96 AT Commands Manual: AT+QPOWD=1 normal power down
      "+QPOWD": () => ({ final: "OK", after: ["POWERED DOWN"] }),
      // §2.2.1 AT+QICSGP configure a context: <contextID>[,<context_type>,<APN>[,<username>,<password>[,<authentication>]]]
      "+QICSGP": (c) => {
        if (c.form === "test") return ok('+QICSGP: (1-16),(1-3),"APN","USERNAME","PASSWORD",(0-3)');
        const cid = intArg(c.args[0]);
        if (cid === undefined || Number.isNaN(cid) || cid < 1 || cid > 16) return error();
        const ctx = m.state.context(cid);
        if (c.args.length === 1) return ok(`+QICSGP: ${ctx.type === "IPV6" ? 2 : ctx.type === "IPV4V6" ? 3 : 1},"${ctx.apn}","","",0`);
        const t = intArg(c.args[1]);
        ctx.type = t === 2 ? "IPV6" : t === 3 ? "IPV4V6" : "IP";
        ctx.apn = unquote(c.args[2]) ?? "";
        return ok();
      },
      // §2.2.2 AT+QIACT activate a context (max. 150 s)
      "+QIACT": (c) => {
        if (c.form === "test") return ok("+QIACT: (1-16)");
        if (c.form === "read") {
          const act = [...m.state.pdp.values()].filter((p) => p.active);
          return ok(...act.map((p) => `+QIACT: ${p.cid},1,1,"${m.state.deviceIp}"`));
        }
        const cid = intArg(c.args[0]);
        if (cid === undefined || Number.isNaN(cid) || cid < 1 || cid > 16 || !m.state.registered) return error();
        m.state.context(cid).active = true;
        return ok();
      },
      // §2.2.3 AT+QIDEACT deactivate a context (closes its sockets)
      "+QIDEACT": async (c) => {
        const cid = intArg(c.args[0]);
        if (cid === undefined || Number.isNaN(cid)) return error();
        m.state.context(cid).active = false;
        for (const conn of [...conns.values()].filter((x) => x.contextId === cid)) {
          conns.delete(conn.id);
          await m.sockets.closeOne(conn.id);
        }
        return ok();
      },
      // §2.2.4 AT+QIOPEN=<contextID>,<connectID>,<service_type>,<IP_address>,<remote_port>[,<local_port>[,<access_mode>]]
      "+QIOPEN": async (c) => {
        if (c.form === "test") return ok('+QIOPEN: (1-16),(0-11),"TCP/UDP/TCP LISTENER/UDP SERVICE","<IP_address>/<domain_name>",(0-65535),(0-65535),(0-2)');
        const [cid, id, rport, lport, mode] = [c.args[0], c.args[1], c.args[4], c.args[5], c.args[6]].map(intArg);
        const service = unquote(c.args[2])?.toUpperCase();
        const host = unquote(c.args[3]) ?? "";
        if (cid === undefined || id === undefined || Number.isNaN(cid) || Number.isNaN(id) || cid < 1 || cid > 16 || id < 0 || id > 11) return error();
        if (mode !== undefined && mode !== 0 && mode !== 1) return error(); // transparent mode (2) is not emulated
        if (service !== "UDP" && service !== "UDP SERVICE") return openResult(id, ERR.operationNotSupported);
        if (conns.has(id)) return openResult(id, ERR.socketIdUsed);
        if (!m.state.context(cid).active) return openResult(id, ERR.openPdpFailed);
        let socket: DeviceSocket;
        try {
          socket = await m.sockets.open(id, lport ?? 0);
        } catch (e) {
          if (e instanceof PortBusyError) return openResult(id, ERR.portBusy);
          throw e;
        }
        if (service === "UDP") socket.remote = { host, port: rport ?? 0 };
        const conn: Conn = { id, service, contextId: cid, accessMode: mode === 1 ? 1 : 0, socket };
        socket.onReceive = onReceive(conn);
        conns.set(id, conn);
        return openResult(id, 0);
      },
      // §2.2.5 AT+QICLOSE=<connectID>[,<timeout>]
      "+QICLOSE": async (c) => {
        const id = intArg(c.args[0]);
        if (id === undefined || Number.isNaN(id)) return error();
        if (conns.delete(id)) await m.sockets.closeOne(id);
        return ok();
      },
      // §2.2.6 AT+QISTATE? / AT+QISTATE=1,<connectID>
      "+QISTATE": (c) => {
        const pick = c.form === "set" && intArg(c.args[0]) === 1 ? [conns.get(intArg(c.args[1]) ?? -1)] : [...conns.values()];
        return ok(
          ...pick
            .filter((x): x is Conn => x !== undefined)
            .map((x) => `+QISTATE: ${x.id},"${x.service}","${x.socket.remote?.host ?? "127.0.0.1"}",${x.socket.remote?.port ?? 0},${x.socket.devicePort},${x.service === "UDP SERVICE" ? 4 : 2},${x.contextId},${x.id},${x.accessMode},"uart1"`),
        );
      },
      // §2.2.7 AT+QISEND=<connectID>[,<send_length>[,<remoteIP>,<remote_port>]]; <send_length> 0 queries
      "+QISEND": (c) => {
        const id = intArg(c.args[0]);
        const conn = conns.get(id ?? -1);
        if (conn === undefined) return error();
        const len = intArg(c.args[1]);
        if (len === 0) return ok(`+QISEND: ${conn.socket.txTotal},${conn.socket.txTotal},0`);
        const host = c.args.length >= 4 ? (unquote(c.args[2]) as string) : conn.socket.remote?.host;
        const port = c.args.length >= 4 ? intArg(c.args[3]) : conn.socket.remote?.port;
        if (host === undefined || port === undefined || Number.isNaN(port)) return error();
        if (len !== undefined && (Number.isNaN(len) || len < 0 || len > 1460)) return error();
        return {
          final: "OK",
          prompt: {
            text: "\r\n> ",
            until: len ?? "ctrl-z",
            then: (data) => (data === null ? ok() : send(conn, host, port, data.subarray(0, 1460))),
          },
        };
      },
      // §2.2.9 AT+QISENDEX=<connectID>,<hex_string>
      "+QISENDEX": (c) => {
        const conn = conns.get(intArg(c.args[0]) ?? -1);
        const hex = unquote(c.args[1]) ?? "";
        if (conn === undefined || conn.socket.remote === undefined || !/^([0-9A-Fa-f]{2})+$/.test(hex)) return error();
        return send(conn, conn.socket.remote.host, conn.socket.remote.port, Buffer.from(hex, "hex"));
      },
      // §2.2.8 AT+QIRD=<connectID>[,<read_length>]; <read_length> 0 queries the counters
      "+QIRD": (c) => {
        const conn = conns.get(intArg(c.args[0]) ?? -1);
        if (conn === undefined) return error();
        const len = intArg(c.args[1]) ?? 1500;
        const s = conn.socket;
        if (len === 0) return ok(`+QIRD: ${s.rxTotal},${s.rxRead},${m.sockets.pending(s)}`);
        if (Number.isNaN(len) || len < 0 || len > 1500) return error();
        const d = m.sockets.read(s, len);
        if (d === undefined) return ok("+QIRD: 0");
        return ok(conn.service === "UDP SERVICE" ? `+QIRD: ${d.data.length},"${d.host}",${d.port}` : `+QIRD: ${d.data.length}`, d.data);
      },
      // §2.2.12 AT+QIGETERROR: the result of the last socket operation
      "+QIGETERROR": () => ok(`+QIGETERROR: ${lastError},${lastError === 0 ? "operation success" : "error"}`),
    },
  };
}
