/** How a client does UDP on each family, in the manuals' command sequences (the drivers in firmware/modems do the same). */
import type { DialectName } from "../../host-tools/virtual-modem/index.js";
import type { AtClient } from "./at-client.js";

export interface Datagram {
  data: Buffer;
  host: string;
  port: number;
}

export interface SocketOps {
  /** Activates the PDP context. */
  activate(c: AtClient): Promise<void>;
  /** Opens a UDP socket listening on `port`; resolves to its id. */
  listen(c: AtClient, port: number): Promise<number>;
  /** Waits (from `mark`) for the data URC of socket `id` and reads one datagram. */
  receive(c: AtClient, id: number, mark: number): Promise<Datagram>;
  send(c: AtClient, id: number, host: string, port: number, data: Buffer): Promise<void>;
  close(c: AtClient, id: number): Promise<void>;
}

function expectOk(r: { final: string; raw: string }): void {
  if (r.final !== "OK" && r.final !== "SEND OK") throw new Error(`expected OK, got ${JSON.stringify(r.raw)}`);
}

/** The `n` bytes right after the line `header` in `raw`. */
function after(raw: string, header: RegExpExecArray, n: number): Buffer {
  const start = header.index + header[0].length + 2;
  return Buffer.from(raw.slice(start, start + n), "latin1");
}

const bg96: SocketOps = {
  async activate(c) {
    expectOk(await c.at('AT+QICSGP=1,1,"super","","",0'));
    expectOk(await c.at("AT+QIACT=1"));
  },
  async listen(c, port) {
    const mark = c.mark();
    expectOk(await c.at(`AT+QIOPEN=1,0,"UDP SERVICE","127.0.0.1",0,${port},0`));
    await c.waitFor(/\+QIOPEN: 0,0\r\n/, mark);
    return 0;
  },
  async receive(c, id, mark) {
    await c.waitFor(new RegExp(`\\+QIURC: "recv",${id}\\r\\n`), mark);
    const r = await c.at(`AT+QIRD=${id},1500`);
    const h = /\+QIRD: (\d+),"([^"]+)",(\d+)/.exec(r.raw);
    if (h === null) throw new Error(`no +QIRD in ${JSON.stringify(r.raw)}`);
    return { data: after(r.raw, h, Number(h[1])), host: h[2] as string, port: Number(h[3]) };
  },
  async send(c, id, host, port, data) {
    expectOk(await c.atData(`AT+QISEND=${id},${data.length},"${host}",${port}`, /> $/, data));
  },
  async close(c, id) {
    expectOk(await c.at(`AT+QICLOSE=${id}`));
  },
};

const sim7080: SocketOps = {
  async activate(c) {
    expectOk(await c.at('AT+CNCFG=0,1,"super"'));
    const mark = c.mark();
    expectOk(await c.at("AT+CNACT=0,1"));
    await c.waitFor(/\+APP PDP: 0,ACTIVE\r\n/, mark);
  },
  async listen(c, port) {
    expectOk(await c.at(`AT+CASERVER=0,0,"UDP",${port}`));
    expectOk(await c.at(`AT+CACFG="REMOTEADDR",0,100.64.0.1,${port}`));
    return 0;
  },
  async receive(c, id, mark) {
    await c.waitFor(new RegExp(`\\+CADATAIND: ${id}\\r\\n`), mark);
    const r = await c.at(`AT+CARECV=${id},1460`);
    const h = /\+CARECV: (\d+),/.exec(r.raw);
    if (h === null) throw new Error(`no +CARECV in ${JSON.stringify(r.raw)}`);
    const start = h.index + h[0].length;
    return { data: Buffer.from(r.raw.slice(start, start + Number(h[1])), "latin1"), host: "100.64.0.1", port: 0 };
  },
  async send(c, id, _host, _port, data) {
    expectOk(await c.atData(`AT+CASEND=${id},${data.length}`, /\r\n>$/, data));
  },
  async close(c, id) {
    expectOk(await c.at(`AT+CACLOSE=${id}`));
  },
};

const saraR4: SocketOps = {
  async activate(c) {
    expectOk(await c.at("AT+UDCONF=1,1"));
  },
  async listen(c, port) {
    const r = await c.at(`AT+USOCR=17,${port}`);
    const m = /\+USOCR: (\d+)/.exec(r.raw);
    if (m === null) throw new Error(`no +USOCR in ${JSON.stringify(r.raw)}`);
    return Number(m[1]);
  },
  async receive(c, id, mark) {
    const u = await c.waitFor(new RegExp(`\\+UUSORF: ${id},(\\d+)\\r\\n`), mark);
    const r = await c.at(`AT+USORF=${id},${u[1]}`);
    const h = /\+USORF: (\d+),"([^"]+)",(\d+),(\d+),"([0-9A-F]*)"/.exec(r.raw);
    if (h === null) throw new Error(`no +USORF in ${JSON.stringify(r.raw)}`);
    return { data: Buffer.from(h[5] as string, "hex"), host: h[2] as string, port: Number(h[3]) };
  },
  async send(c, id, host, port, data) {
    expectOk(await c.at(`AT+USOST=${id},"${host}",${port},${data.length},"${data.toString("hex").toUpperCase()}"`));
  },
  async close(c, id) {
    expectOk(await c.at(`AT+USOCL=${id}`));
  },
};

export const SOCKET_OPS: Record<DialectName, SocketOps> = { bg96, sim7080, "sara-r4": saraR4 };
