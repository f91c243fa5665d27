/**
 * The virtual modem's contract, written once and run for each dialect over a real pty with the
 * `serialport` client; a TestNetwork plays the mock network (the cloud integration is cloud.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { decodePdu, encodePdu, encodeSubmit, tpduLength } from "../../host-tools/pdu/index.js";
import { startModem, type DialectName, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { AtClient } from "./at-client.js";
import { SOCKET_OPS } from "./socket-ops.js";
import { TestNetwork } from "./test-network.js";

const TS = "2026-01-02T03:04:05+00:00";

function deliver(text: string, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(encodePdu({ type: "deliver", originator: "000", timestamp: TS, text, ...extra }, { smsc: false }), "hex");
}

export function runModemSuite(dialect: DialectName): void {
  describe(`virtual modem: ${dialect}`, () => {
    let net: TestNetwork;
    let h: ModemHandle;
    let c: AtClient;
    const ops = SOCKET_OPS[dialect];

    beforeAll(async () => {
      net = await TestNetwork.create();
      h = await startModem({ dialect, network: net.link, smsCapacity: 5 });
      c = await AtClient.open(h.port);
    });
    afterAll(async () => {
      await c?.close();
      await h?.close();
      net?.close();
    });

    test("the port is a pty slave and AT answers OK", async () => {
      expect(h.port).toMatch(/^\/dev\/pts\/\d+$/);
      expect((await c.at("AT")).final).toBe("OK");
    });

    test("echo on by default, ATE0 turns it off, ATE1 on again", async () => {
      let m = c.mark();
      await c.at("AT");
      expect(c.rx.slice(m)).toBe("AT\r\r\nOK\r\n");
      await c.at("ATE0");
      m = c.mark();
      await c.at("AT");
      expect(c.rx.slice(m)).toBe("\r\nOK\r\n");
      await c.at("ATE1");
      m = c.mark();
      await c.at("AT");
      expect(c.rx.slice(m)).toBe("AT\r\r\nOK\r\n");
      await c.at("ATE0");
    });

    test("several commands on one line, A/ repeats, ATV0 numeric codes", async () => {
      const r = await c.at("AT+CMEE=1;+CSQ;+CGSN");
      expect(r.lines).toEqual(["+CSQ: 20,99", h.modem.state.identity.imei]);
      const m = c.mark();
      await c.write("A/");
      await c.waitFor(/\+CSQ: 20,99\r\n\r\n\+CGSN|\+CSQ: 20,99\r\n.*\r\n\r\nOK\r\n/s, m);
      await c.write("ATV0\r");
      await c.waitFor(/0\r$/, m);
      const m2 = c.mark();
      await c.write("AT+NOSUCH\r");
      await c.waitFor(/^4\r$/, m2);
      expect((await c.at("ATV1")).final).toBe("OK");
    });

    test("verbose errors per AT+CMEE", async () => {
      await c.at("AT+CMEE=2");
      expect((await c.at("AT+CEREG=9")).final).toBe("+CME ERROR: incorrect parameters");
      await c.at("AT+CMEE=1");
      expect((await c.at("AT+CEREG=9")).final).toBe("+CME ERROR: 50");
      await c.at("AT+CMEE=0");
      expect((await c.at("AT+CEREG=9")).final).toBe("ERROR");
      await c.at("AT+CMEE=1");
    });

    test("identity, SIM and signal", async () => {
      expect((await c.at("AT+CIMI")).lines).toEqual([h.modem.state.identity.imsi]);
      expect((await c.at("AT+CPIN?")).lines).toEqual(["+CPIN: READY"]);
      expect((await c.at("AT+CSQ")).lines).toEqual(["+CSQ: 20,99"]);
      expect((await c.at("AT+CGMI")).lines).toEqual([h.modem.dialect.manufacturer]);
      const r = await c.at('AT+CGDCONT=1,"IP","super"');
      expect(r.final).toBe("OK");
      expect((await c.at("AT+CGDCONT?")).lines).toContain('+CGDCONT: 1,"IP","super","0.0.0.0",0,0');
    });

    test("registration query and +CEREG URCs on loss and return", async () => {
      expect((await c.at("AT+CEREG?")).lines).toEqual(["+CEREG: 0,5"]);
      await c.at("AT+CEREG=2");
      expect((await c.at("AT+CEREG?")).lines).toEqual(['+CEREG: 2,5,"1A2B","01A2D101",7']);
      let m = c.mark();
      h.modem.faults.loseRegistration();
      await c.waitFor(/\r\n\+CEREG: 0\r\n/, m);
      expect((await c.at("AT+CSQ")).lines).toEqual(["+CSQ: 99,99"]);
      m = c.mark();
      h.modem.faults.restoreRegistration();
      await c.waitFor(/\r\n\+CEREG: 5,"1A2B","01A2D101",7\r\n/, m);
      await c.at("AT+CEREG=1");
      m = c.mark();
      expect((await c.at("AT+CFUN=4")).final).toBe("OK");
      await c.waitFor(/\+CEREG: 0\r\n/, m);
      m = c.mark();
      await c.at("AT+CFUN=1");
      await c.waitFor(/\+CEREG: 5\r\n/, m);
      await c.at("AT+CEREG=0");
    });

    test("UDP: a datagram to the device port arrives, one sent to 100.64.0.1 reaches mo", async () => {
      await ops.activate(c);
      const id = await ops.listen(c, 6969);
      const payload = Buffer.from([0x70, 0x69, 0x6e, 0x67, 0x00, 0xff, 0x0d, 0x0a, 0x01]);
      const m = c.mark();
      net.toDevice(6969, payload);
      const d = await ops.receive(c, id, m);
      expect(d.data.equals(payload)).toBe(true);
      if (dialect !== "sim7080") expect(d.host).toBe("100.64.0.1");
      const reply = Buffer.from("pong \x01\x02", "latin1");
      const got = net.mo.next();
      await ops.send(c, id, "100.64.0.1", 6969, reply);
      const r = await got;
      expect(r.data.equals(reply)).toBe(true);
      expect(net.link.last?.ports["6969"]).toBe(`127.0.0.1:${r.from.port}`);
      await ops.close(c, id);
      expect(net.link.last?.ports["6969"]).toBeUndefined();
    });

    test("SMS GSM-7: +CMTI, AT+CMGR gives the PDU, DELIVER-REPORT to the SMSC, AT+CMGD", async () => {
      await c.at("AT+CMGF=0");
      await c.at("AT+CNMI=2,1,0,1,0");
      await c.at('AT+CPMS="SM","SM","SM"');
      const m = c.mark();
      const ack = net.smsc.next();
      net.toModemSms(deliver("ping 42 @£$"));
      const u = await c.waitFor(/\+CMTI: "SM",(\d+)\r\n/, m);
      expect((await ack).data.toString("hex")).toBe("0000");
      const r = await c.at(`AT+CMGR=${u[1]}`);
      expect(r.lines[0]).toMatch(/^\+CMGR: 0,,\d+$/);
      const pdu = decodePdu(r.lines[1] as string);
      expect(pdu).toMatchObject({ type: "deliver", originator: "000", text: "ping 42 @£$" });
      expect(Number(/,(\d+)$/.exec(r.lines[0] as string)?.[1])).toBe(tpduLength(r.lines[1] as string));
      expect((await c.at(`AT+CMGR=${u[1]}`)).lines[0]).toMatch(/^\+CMGR: 1,,/);
      expect((await c.at(`AT+CMGD=${u[1]}`)).final).toBe("OK");
      expect((await c.at(`AT+CMGR=${u[1]}`)).lines).toEqual([]);
    });

    test("AT+CSCA: received PDUs start with its SMSC field; a number that field cannot carry gets +CMS ERROR: 304", async () => {
      expect((await c.at('AT+CSCA="+447700900123"')).final).toBe("OK");
      const m = c.mark();
      const ack = net.smsc.next();
      net.toModemSms(deliver("sca"));
      const u = await c.waitFor(/\+CMTI: "SM",(\d+)\r\n/, m);
      await ack;
      expect((await c.at(`AT+CMGR=${u[1]}`)).lines[1]).toMatch(/^0791447700091032/);
      expect((await c.at('AT+CSCA="+1 555 0100"')).final).toBe("+CMS ERROR: 304");
      expect((await c.at("AT+CSCA?")).lines).toEqual(['+CSCA: "+447700900123",145']);
      expect((await c.at(`AT+CMGD=${u[1]}`)).final).toBe("OK");
      expect((await c.at('AT+CSCA="+15555550100"')).final).toBe("OK");
    });

    test("SMS UCS2 and a concatenated pair, listed with AT+CMGL and deleted with a flag", async () => {
      const m = c.mark();
      const acks = [net.smsc.next(), net.smsc.next(), net.smsc.next()];
      net.toModemSms(deliver("Grüße ✓ Привет"));
      await c.waitFor(/\+CMTI: "SM",\d+\r\n/, m);
      const m2 = c.mark();
      net.toModemSms(deliver("first half, ", { udh: { concat: { ref: 9, total: 2, seq: 1, ref_bits: 8 } } }));
      net.toModemSms(deliver("second half", { udh: { concat: { ref: 9, total: 2, seq: 2, ref_bits: 8 } } }));
      await c.waitFor(/\+CMTI: "SM",\d+\r\n(?:.|\r|\n)*\+CMTI: "SM",\d+\r\n/, m2);
      const r = await c.at("AT+CMGL=4");
      const pdus = r.lines.filter((_, i) => i % 2 === 1).map((p) => decodePdu(p));
      expect(pdus.map((p) => p.text)).toEqual(["Grüße ✓ Привет", "first half, ", "second half"]);
      expect(pdus[0]?.dcs).toBe(8);
      expect((await Promise.all(acks)).map((a) => a.data.toString("hex"))).toEqual(["0000", "0000", "0000"]);
      const parts = pdus.filter((p) => p.udh?.concat?.ref === 9).sort((a, b) => (a.udh?.concat?.seq ?? 0) - (b.udh?.concat?.seq ?? 0));
      expect(parts.map((p) => p.text).join("")).toBe("first half, second half");
      expect((await c.at("AT+CMGL=0")).lines).toEqual([]);
      expect((await c.at("AT+CMGD=1,4")).final).toBe("OK");
      expect((await c.at("AT+CPMS?")).lines).toEqual(['+CPMS: "SM",0,5,"SM",0,5,"SM",0,5']);
    });

    test("AT+CMGS sends an SMS-SUBMIT to the SMSC; the STATUS-REPORT comes back as +CDS", async () => {
      const [hex] = encodeSubmit({ to: "000", text: "pong", statusReport: true });
      const got = net.smsc.next();
      const r = await c.atData(`AT+CMGS=${tpduLength(hex as string)}`, /\r\n> $/, (hex as string) + "\x1a");
      const mr = Number(/\+CMGS: (\d+)/.exec(r.raw)?.[1]);
      const tpdu = (await got).data;
      const sub = decodePdu(tpdu.toString("hex"), { smsc: false, direction: "mo" });
      expect(sub).toMatchObject({ type: "submit", destination: "000", text: "pong", message_ref: mr, status_report_request: true });
      const m = c.mark();
      net.toModemSms(Buffer.from(encodePdu({ type: "status-report", message_ref: mr, recipient: "000", timestamp: TS, discharge_time: TS, status: 0 }, { smsc: false }), "hex"));
      const u = await c.waitFor(/\+CDS: (\d+)\r\n([0-9A-F]+)\r\n/, m);
      expect(decodePdu(u[2] as string)).toMatchObject({ type: "status-report", message_ref: mr, status: 0 });
      // ESC cancels the prompt: nothing is sent
      const r2 = await c.atData("AT+CMGS=10", /\r\n> $/, "0011\x1b");
      expect(r2.final).toBe("OK");
      // a PDU whose TPDU length differs from <length> is refused
      const bad = await c.atData(`AT+CMGS=${tpduLength(hex as string) + 1}`, /\r\n> $/, (hex as string) + "\x1a");
      expect(bad.final).toBe("+CMS ERROR: 304");
    });

    test("faults: ERROR injection, slow responses, garbage bytes, URC mid-response", async () => {
      h.modem.faults.errorNext(2);
      expect((await c.at("AT")).final).toBe("ERROR");
      expect((await c.at("AT")).final).toBe("ERROR");
      expect((await c.at("AT")).final).toBe("OK");
      h.modem.faults.delayMs = 150;
      const t0 = Date.now();
      expect((await c.at("AT")).final).toBe("OK");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      h.modem.faults.delayMs = 0;
      const m = c.mark();
      h.modem.faults.garbage();
      await c.waitFor(/\xff\xfe/, m);
      expect((await c.at("AT")).final).toBe("OK");
      h.modem.faults.urcMidResponse('+CMTI: "SM",3');
      const r = await c.at("AT+CSQ");
      expect(r.raw).toContain('\r\n+CSQ: 20,99\r\n\r\n+CMTI: "SM",3\r\n\r\nOK\r\n');
    });

    test("storage full: AT+CMGW gives +CMS ERROR: 322 and an MT SMS is refused with TP-FCS D3", async () => {
      const [hex] = encodeSubmit({ to: "000", text: "stored" });
      const len = tpduLength(hex as string);
      for (let i = 1; i <= 5; i++) {
        const r = await c.atData(`AT+CMGW=${len}`, /\r\n> $/, (hex as string) + "\x1a");
        expect(r.lines).toContain(`+CMGW: ${i}`);
      }
      expect((await c.at(`AT+CMGW=${len}`)).final).toBe("+CMS ERROR: 322");
      const nack = net.smsc.next();
      net.toModemSms(deliver("no room"));
      expect((await nack).data.toString("hex")).toBe("00d300");
      expect((await c.at("AT+CMGD=0,4")).final).toBe("OK");
      h.modem.faults.storageFull = true;
      expect((await c.at(`AT+CMGW=${len}`)).final).toBe("+CMS ERROR: 322");
      h.modem.faults.storageFull = false;
      const m = c.mark();
      net.toModemSms(deliver("room again"));
      await c.waitFor(/\+CMTI: "SM",1\r\n/, m);
    });
  });
}
