/**
 * The modem-driver contract (firmware/modems), written once and run per family: the driver talks
 * through the AT engine and the Node `serialport` package to a real tty.
 *
 *   target   where the driver runs: the virtual modem (host-tools/modem) on a fresh /dev/pts/N,
 *            attached to a started mock cloud (host-tools/cloud) — or real hardware (HIL, below)
 *   cloud    sends IP Commands and SMS to the SIM and records what the device sends back
 *
 * HIL: SIMCMD_HIL_PORT=/dev/ttyUSB0 SIMCMD_HIL_MODEM=bg96 runs the suite of that family on the
 * hardware instead. Steps that need the mock network are then not run, and one test named
 * "HIL: steps needing the mock network are not run on hardware: …" lists them; nothing is
 * dropped silently.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { AtEngine } from "../../firmware/at/index.js";
import { createModem, type Datagram, type Identity, type Modem, type ModemError, type ModemFamily, type Registration, type Signal, type SmsMessage, type SmsSent, type SmsStorage, type StatusReport, type UdpSocket } from "../../firmware/modems/index.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { startModem, type ModemHandle } from "../../host-tools/modem/index.js";
import { activeSim, cloudAndClient, type Client } from "../cloud/harness.js";
import { Inbox, NodeClock, NodeSerial, call, callOutcome } from "./node-adapters.js";

/** What a build gives the suite. `cloud` is null on hardware. */
export interface ContractTarget {
  port: string;
  cloud: { handle: CloudHandle; client: Client; simSid: string; modem: ModemHandle } | null;
  close(): Promise<void>;
}

export type BuildTarget = (family: ModemFamily) => Promise<ContractTarget>;

/** The virtual modem of `family` on a pty, attached to a fresh mock cloud with one active Super SIM. */
export const virtualModem: BuildTarget = async (family) => {
  const { cloud, client } = await cloudAndClient();
  const { sim } = await activeSim(client, {}, `contract-${family}`);
  const modem = await startModem({ dialect: family, cloud: { url: cloud.url, sim: sim.sid, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  return {
    port: modem.port,
    cloud: { handle: cloud, client, simSid: sim.sid, modem },
    async close() {
      await modem.close();
      await cloud.close();
    },
  };
};

/** Real hardware on SIMCMD_HIL_PORT. */
export const hardware: BuildTarget = async () => ({ port: process.env.SIMCMD_HIL_PORT as string, cloud: null, close: async () => undefined });

const bytes = (s: string): number[] => [...Buffer.from(s, "latin1")];
const b64 = (b: number[]): string => Buffer.from(b).toString("base64");

async function fromSimIp(client: Client, simSid: string, payload: number[], timeoutMs = 5000): Promise<{ device_port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await client.supersim.v1.ipCommands.list({ sim: simSid, direction: "from_sim", limit: 50 });
    const hit = list.find((c) => c.payload === b64(payload));
    if (hit !== undefined) return { device_port: hit.devicePort };
    if (Date.now() > deadline) throw new Error(`no from_sim IpCommand with ${b64(payload)} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The suite for `family`. `build` makes the target (virtualModem in the run files); with
 * SIMCMD_HIL_MODEM equal to `family`, `hardware` replaces it.
 */
export function modemContract(family: ModemFamily, build: BuildTarget): void {
  const hil = process.env.SIMCMD_HIL_PORT !== undefined && process.env.SIMCMD_HIL_MODEM === family;
  const where = hil ? `hardware on ${process.env.SIMCMD_HIL_PORT}` : "the virtual modem";
  /** Steps that need the mock network, not run on hardware; a test at the end names them. */
  const notOnHardware: string[] = [];
  /** A step that needs the mock network: a test on the virtual modem, listed by name on hardware. */
  const cloudTest = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    if (hil) notOnHardware.push(name);
    else test(name, fn, timeout);
  };

  describe(`modem contract: ${family} on ${where}`, () => {
    let target: ContractTarget;
    let serial: NodeSerial;
    const clock = new NodeClock();
    let modem: Modem;
    const errors: ModemError[] = [];
    const datagrams = new Inbox<Datagram>();
    const messages = new Inbox<SmsMessage>();
    const reports = new Inbox<StatusReport>();
    let listener: UdpSocket;

    const cloud = (): NonNullable<ContractTarget["cloud"]> => target.cloud as NonNullable<ContractTarget["cloud"]>;

    beforeAll(async () => {
      target = await (hil ? hardware : build)(family);
      serial = await NodeSerial.open(target.port);
      const engine = new AtEngine({ serial, clock, timeout: 5000 });
      modem = createModem(family, engine, { clock, registrationTimeout: 20000, pollInterval: 200, bootTimeout: 10000, onError: (e) => errors.push(e) });
      modem.udp.onDatagram(datagrams.push);
      modem.sms.onMessage(messages.push);
      modem.sms.onStatusReport(reports.push);
    });

    afterAll(async () => {
      clock.clearAll();
      await serial?.close();
      await target?.close();
    });

    test("init: AT, ATE0, AT+CMEE=2, SIM ready", async () => {
      await call<void>((cb) => modem.network.init(cb));
    });

    test("registers (AT+CEREG) and reports signal and identity", async () => {
      const reg = await call<Registration>((cb) => modem.network.register(cb));
      expect(reg.registered).toBe(true);
      const sig = await call<Signal>((cb) => modem.network.signal(cb));
      expect(sig.known).toBe(true);
      const id = await call<Identity>((cb) => modem.network.identity(cb));
      expect(id.imei).toMatch(/^\d{15}$/);
      expect(id.imsi).toMatch(/^\d{6,15}$/);
      expect(id.iccid).toMatch(/^\d{18,22}F?$/);
      if (target.cloud !== null) expect(id).toEqual({ imei: target.cloud.modem.modem.state.identity.imei, imsi: target.cloud.modem.modem.state.identity.imsi, iccid: target.cloud.modem.modem.state.identity.iccid });
    });

    test("attaches: PDP context with the APN, data active", async () => {
      await call<void>((cb) => modem.network.attach(cb));
    });

    test("opens a UDP listener on device port 6969 (buffer mode)", async () => {
      listener = await call<UdpSocket>((cb) => modem.udp.open({ localPort: 6969, mode: "buffer" }, cb));
      expect(listener.localPort).toBe(6969);
    });

    cloudTest("receives an IP Command the mock cloud sends to port 6969 (binary, with CR LF)", async () => {
      const payload = bytes("cmd\r\nOK\r\n\u0000\u00ff");
      const c = cloud();
      await c.client.supersim.v1.ipCommands.create({ sim: c.simSid, payload: b64(payload), payloadType: "binary", devicePort: 6969 });
      const d = await datagrams.next("datagram on 6969");
      expect(d.data).toEqual(payload);
      expect(d.socket).toBe(listener.id);
      if (d.host !== "") expect(d.host).toBe("100.64.0.1");
    });

    if (hil) {
      test("sends a datagram to 100.64.0.1 (HIL: the modem accepts it; arrival needs the mock network)", async () => {
        const payload = bytes("hil\r\n\u0001");
        expect(await call<number>((cb) => modem.udp.send(listener, payload, 6969, cb))).toBe(payload.length);
      });
    } else {
      test("sends a datagram to 100.64.0.1: it arrives as a from_sim IpCommand from port 6969", async () => {
        const payload = bytes("reply\r\n\u0001");
        expect(await call<number>((cb) => modem.udp.send(listener, payload, 6969, cb))).toBe(payload.length);
        const c = cloud();
        expect((await fromSimIp(c.client, c.simSid, payload)).device_port).toBe(6969);
      });
    }

    if (family === "sara-r4") {
      test("push mode is not offered: +UUSORF only announces data (unsupported)", async () => {
        expect(modem.udp.modes).toEqual(["buffer"]);
        const o = await callOutcome<UdpSocket>((cb) => modem.udp.open({ localPort: 6970, mode: "push" }, cb));
        expect(o.ok ? "ok" : o.error.kind).toBe("unsupported");
      });
    } else {
      cloudTest("push mode: the payload comes with the URC; send first, the cloud answers the port it saw", async () => {
        expect(modem.udp.modes).toContain("push");
        const s = await call<UdpSocket>((cb) => modem.udp.open({ localPort: 6970, mode: "push", remotePort: 6970 }, cb));
        const hello = bytes("hello from push");
        await call<number>((cb) => modem.udp.send(s, hello, 6970, cb));
        const c = cloud();
        const seen = await fromSimIp(c.client, c.simSid, hello);
        if (s.localPort !== 0) expect(seen.device_port).toBe(s.localPort);
        const payload = bytes("push\r\npayload");
        await c.client.supersim.v1.ipCommands.create({ sim: c.simSid, payload: b64(payload), payloadType: "binary", devicePort: seen.device_port });
        const d = await datagrams.next("pushed datagram", 5000, (x) => x.socket === s.id);
        expect(d.data).toEqual(payload);
        await call<void>((cb) => modem.udp.close(s, cb));
      });
    }

    cloudTest("closes and reopens the listener: IP Commands reach it again", async () => {
      await call<void>((cb) => modem.udp.close(listener, cb));
      listener = await call<UdpSocket>((cb) => modem.udp.open({ localPort: 6969, mode: "buffer" }, cb));
      const c = cloud();
      const payload = bytes("again");
      await c.client.supersim.v1.ipCommands.create({ sim: c.simSid, payload: b64(payload), payloadType: "binary", devicePort: 6969 });
      expect((await datagrams.next("datagram after reopen")).data).toEqual(payload);
    });

    test("starts SMS in PDU mode (AT+CMGF=0, AT+CPMS, AT+CNMI)", async () => {
      await call<void>((cb) => modem.sms.start(cb));
    });

    const receives = (what: string, text: string, alphabet: string, parts: number, viaApi: boolean): void =>
      cloudTest(`receives and deletes an SMS: ${what}`, async () => {
        const c = cloud();
        if (viaApi) await c.client.supersim.v1.smsCommands.create({ sim: c.simSid, payload: text });
        else c.handle.ctx.network.sendSms(c.simSid, { originator: "000", text, receipt: true }, {});
        const m = await messages.next(`SMS (${what})`);
        expect(m).toMatchObject({ from: "000", text, alphabet, parts });
        expect(await call<SmsStorage>((cb) => modem.sms.storage(cb))).toMatchObject({ used: 0 });
      });
    receives("GSM-7, an SMS Command through the API", "Hello from the cloud @£$", "gsm7", 1, true);
    receives("UCS2", "Привет, κόσμε", "ucs2", 1, true);
    receives("concatenated, 3 parts", "0123456789".repeat(35), "gsm7", 3, false);

    cloudTest("sends an SMS to 000 and gets its status report, matched by message reference", async () => {
      const sent = await call<SmsSent>((cb) => modem.sms.send("000", "ping from the device", { statusReport: true }, cb));
      expect(sent.references).toHaveLength(1);
      const r = await reports.next("status report");
      expect(r).toMatchObject({ reference: sent.references[0], delivered: true, to: "000" });
      const c = cloud();
      const list = await c.client.supersim.v1.smsCommands.list({ sim: c.simSid, direction: "from_sim", limit: 20 });
      expect(list.map((x) => x.payload)).toContain("ping from the device");
    });

    test("resets (AT+CFUN=1,1), comes back initialised and registers again", async () => {
      await call<void>((cb) => modem.power.reset(cb));
      expect((await call<Registration>((cb) => modem.network.register(cb))).registered).toBe(true);
      await call<void>((cb) => modem.network.attach(cb));
      const s = await call<UdpSocket>((cb) => modem.udp.open({ localPort: 6969, mode: "buffer" }, cb));
      expect(s.id).toBe(listener.id); // the reset closed every socket: the driver forgot them too
      await call<void>((cb) => modem.udp.close(s, cb));
    }, 20000);

    test("no asynchronous driver errors", () => {
      expect(errors).toEqual([]);
    });

    if (hil) {
      test(`HIL: steps needing the mock network are not run on hardware: ${notOnHardware.join("; ")}`, () => {
        expect(notOnHardware.length).toBeGreaterThan(0);
      });
    }
  });
}
