/**
 * The modem-driver scenario (firmware/modems), written once: `simcmd hil` runs it against a serial
 * port or a virtual modem (runner.ts), and test/contract/modem.contract.ts builds one jest test per
 * step from it. Steps run in order and share the ScenarioContext (session.ts).
 *
 *   needsNetwork  the step drives or checks the mock network (IP Commands to the device, SMS through
 *                 the cloud, from_sim records); on hardware it is reported as skipped, never dropped
 *   needs         ids of earlier steps that must have passed; otherwise the step is skipped
 *                 "after a failed step"
 */
import assert from "node:assert/strict";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST } from "../../firmware/core/limits.js";
import type { Identity, ModemFamily, Registration, Signal, SmsSent, SmsStorage, UdpSocket } from "../../firmware/modems/index.js";
import { call, callOutcome } from "./driver-calls.js";
import type { MockNetwork, ScenarioContext } from "./session.js";

export type StepId =
  | "init"
  | "register"
  | "attach"
  | "udp-listen"
  | "ip-command"
  | "udp-send"
  | "udp-arrival"
  | "udp-push"
  | "udp-reopen"
  | "sms-start"
  | "sms-gsm7"
  | "sms-ucs2"
  | "sms-concat"
  | "sms-send"
  | "reset"
  | "no-async-errors";

export interface Step {
  /** Stable key (JSON reports, `needs`). */
  id: StepId;
  /** What the step checks, one line. */
  name: string;
  needsNetwork: boolean;
  needs: readonly StepId[];
  run(ctx: ScenarioContext): Promise<void>;
}

const bytes = (s: string): number[] => [...Buffer.from(s, "latin1")];
const b64 = (b: number[]): string => Buffer.from(b).toString("base64");

function net(ctx: ScenarioContext): MockNetwork {
  assert.ok(ctx.network !== null, "this step needs the mock network");
  return ctx.network;
}

function listenerOf(ctx: ScenarioContext): UdpSocket {
  assert.ok(ctx.listener !== null, "no UDP listener (the udp-listen step did not run)");
  return ctx.listener;
}

/** Compares the fields of `expected` only (the rest of `actual` is free). */
function assertFields(actual: object, expected: Record<string, unknown>, what: string): void {
  const a = actual as Record<string, unknown>;
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, a[k]])), expected, what);
}

/** Waits for the mock cloud to record a from_sim IpCommand carrying `payload`; resolves with its device port. */
async function fromSimIp(n: MockNetwork, payload: number[], timeoutMs = 5000): Promise<number> {
  const want = b64(payload);
  const seen = new Set<unknown>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no from_sim IpCommand with ${want} within ${timeoutMs} ms`);
    const e = await n.cloud.events
      .waitFor((x) => x.type === "ip_command.received" && x.sim_sid === n.simSid && !seen.has(x.command_sid), left, true)
      .catch(() => null);
    if (e === null) throw new Error(`no from_sim IpCommand with ${want} within ${timeoutMs} ms`);
    seen.add(e.command_sid);
    const c = await n.client.supersim.v1.ipCommands(String(e.command_sid)).fetch();
    if (c.payload === want) return c.devicePort;
  }
}

async function sendIpCommand(n: MockNetwork, payload: number[], devicePort: number): Promise<void> {
  await n.client.supersim.v1.ipCommands.create({ sim: n.simSid, payload: b64(payload), payloadType: "binary", devicePort });
}

const setup: Step[] = [
  {
    id: "init",
    name: "init: AT, ATE0, AT+CMEE=2, SIM ready",
    needsNetwork: false,
    needs: [],
    run: (ctx) => call<void>((cb) => ctx.modem.network.init(cb)),
  },
  {
    id: "register",
    name: "registers (AT+CEREG) and reports signal and identity",
    needsNetwork: false,
    needs: ["init"],
    async run(ctx) {
      const reg = await call<Registration>((cb) => ctx.modem.network.register(cb));
      assert.equal(reg.registered, true, "registered");
      const sig = await call<Signal>((cb) => ctx.modem.network.signal(cb));
      assert.equal(sig.known, true, "signal known");
      const id = await call<Identity>((cb) => ctx.modem.network.identity(cb));
      assert.match(id.imei, /^\d{15}$/, "IMEI");
      assert.match(id.imsi, /^\d{6,15}$/, "IMSI");
      assert.match(id.iccid, /^\d{18,22}F?$/, "ICCID");
      const expected = ctx.network?.identity;
      if (expected) assert.deepEqual({ imei: id.imei, imsi: id.imsi, iccid: id.iccid }, expected, "the identity the virtual modem holds");
    },
  },
  {
    id: "attach",
    name: "attaches: PDP context with the APN, data active",
    needsNetwork: false,
    needs: ["register"],
    run: (ctx) => call<void>((cb) => ctx.modem.network.attach(cb)),
  },
];

const udp: Step[] = [
  {
    id: "udp-listen",
    name: `opens a UDP listener on device port ${DEFAULT_DEVICE_PORT} (buffer mode)`,
    needsNetwork: false,
    needs: ["attach"],
    async run(ctx) {
      ctx.listener = await call<UdpSocket>((cb) => ctx.modem.udp.open({ localPort: DEFAULT_DEVICE_PORT, mode: "buffer" }, cb));
      assert.equal(ctx.listener.localPort, DEFAULT_DEVICE_PORT, "local port");
    },
  },
  {
    id: "ip-command",
    name: `receives an IP Command the mock cloud sends to port ${DEFAULT_DEVICE_PORT} (binary, with CR LF)`,
    needsNetwork: true,
    needs: ["udp-listen"],
    async run(ctx) {
      const payload = bytes("cmd\r\nOK\r\n\u0000\u00ff");
      await sendIpCommand(net(ctx), payload, DEFAULT_DEVICE_PORT);
      const d = await ctx.datagrams.next(`datagram on ${DEFAULT_DEVICE_PORT}`);
      assert.deepEqual(d.data, payload, "payload");
      assert.equal(d.socket, listenerOf(ctx).id, "socket");
      if (d.host !== "") assert.equal(d.host, DEFAULT_MO_HOST, "sender");
    },
  },
  {
    id: "udp-send",
    name: `sends a datagram to ${DEFAULT_MO_HOST} from port ${DEFAULT_DEVICE_PORT}: the modem accepts it`,
    needsNetwork: false,
    needs: ["udp-listen"],
    async run(ctx) {
      const payload = bytes(`${ctx.network === null ? "hil" : "reply"}\r\n\u0001`);
      assert.equal(await call<number>((cb) => ctx.modem.udp.send(listenerOf(ctx), payload, DEFAULT_DEVICE_PORT, cb)), payload.length, "bytes sent");
      ctx.sent = payload;
    },
  },
  {
    id: "udp-arrival",
    name: `the datagram arrives as a from_sim IpCommand from port ${DEFAULT_DEVICE_PORT}`,
    needsNetwork: true,
    needs: ["udp-send"],
    async run(ctx) {
      assert.ok(ctx.sent !== null, "nothing was sent");
      assert.equal(await fromSimIp(net(ctx), ctx.sent), DEFAULT_DEVICE_PORT, "device port");
    },
  },
];

const push: Step = {
  id: "udp-push",
  name: "push mode: the payload comes with the URC; send first, the cloud answers the port it saw",
  needsNetwork: true,
  needs: ["attach"],
  async run(ctx) {
    assert.ok(ctx.modem.udp.modes.includes("push"), "push among udp.modes");
    const s = await call<UdpSocket>((cb) => ctx.modem.udp.open({ localPort: 6970, mode: "push", remotePort: 6970 }, cb));
    const hello = bytes("hello from push");
    await call<number>((cb) => ctx.modem.udp.send(s, hello, 6970, cb));
    const n = net(ctx);
    const seenPort = await fromSimIp(n, hello);
    if (s.localPort !== 0) assert.equal(seenPort, s.localPort, "device port the cloud saw");
    const payload = bytes("push\r\npayload");
    await sendIpCommand(n, payload, seenPort);
    const d = await ctx.datagrams.next("pushed datagram", undefined, (x) => x.socket === s.id);
    assert.deepEqual(d.data, payload, "payload");
    await call<void>((cb) => ctx.modem.udp.close(s, cb));
  },
};

/** SARA-R4: +UUSORF only announces data, so the driver offers buffer mode alone. */
const noPush: Step = {
  id: "udp-push",
  name: "push mode is not offered: +UUSORF only announces data (unsupported)",
  needsNetwork: false,
  needs: ["attach"],
  async run(ctx) {
    assert.deepEqual(ctx.modem.udp.modes, ["buffer"], "udp.modes");
    const o = await callOutcome<UdpSocket>((cb) => ctx.modem.udp.open({ localPort: 6970, mode: "push" }, cb));
    assert.equal(o.ok ? "ok" : o.error.kind, "unsupported", "outcome of a push-mode open");
  },
};

const reopen: Step = {
  id: "udp-reopen",
  name: "closes and reopens the listener: IP Commands reach it again",
  needsNetwork: true,
  needs: ["udp-listen"],
  async run(ctx) {
    await call<void>((cb) => ctx.modem.udp.close(listenerOf(ctx), cb));
    ctx.listener = null;
    ctx.listener = await call<UdpSocket>((cb) => ctx.modem.udp.open({ localPort: DEFAULT_DEVICE_PORT, mode: "buffer" }, cb));
    const payload = bytes("again");
    await sendIpCommand(net(ctx), payload, DEFAULT_DEVICE_PORT);
    assert.deepEqual((await ctx.datagrams.next("datagram after reopen")).data, payload, "payload");
  },
};

/** An MT SMS the device must receive, decode and delete. */
function receives(id: StepId, what: string, text: string, alphabet: string, parts: number, viaApi: boolean): Step {
  return {
    id,
    name: `receives and deletes an SMS: ${what}`,
    needsNetwork: true,
    needs: ["sms-start"],
    async run(ctx) {
      const n = net(ctx);
      if (viaApi) await n.client.supersim.v1.smsCommands.create({ sim: n.simSid, payload: text });
      else n.cloud.ctx.network.sendSms(n.simSid, { originator: "000", text, receipt: true }, {});
      const m = await ctx.messages.next(`SMS (${what})`);
      assertFields(m, { from: "000", text, alphabet, parts }, "the SMS");
      assert.equal((await call<SmsStorage>((cb) => ctx.modem.sms.storage(cb))).used, 0, "messages left in storage");
    },
  };
}

const sms: Step[] = [
  {
    id: "sms-start",
    name: "starts SMS in PDU mode (AT+CMGF=0, AT+CPMS, AT+CNMI)",
    needsNetwork: false,
    needs: ["init"],
    run: (ctx) => call<void>((cb) => ctx.modem.sms.start(cb)),
  },
  receives("sms-gsm7", "GSM-7, an SMS Command through the API", "Hello from the cloud @£$", "gsm7", 1, true),
  receives("sms-ucs2", "UCS2", "Привет, κόσμε", "ucs2", 1, true),
  receives("sms-concat", "concatenated, 3 parts", "0123456789".repeat(35), "gsm7", 3, false),
  {
    id: "sms-send",
    name: "sends an SMS to 000 and gets its status report, matched by message reference",
    needsNetwork: true,
    needs: ["sms-start", "register"],
    async run(ctx) {
      const sent = await call<SmsSent>((cb) => ctx.modem.sms.send("000", "ping from the device", { statusReport: true }, cb));
      assert.equal(sent.references.length, 1, "references");
      const r = await ctx.reports.next("status report");
      assertFields(r, { reference: sent.references[0], delivered: true, to: "000" }, "the status report");
      const n = net(ctx);
      const list = await n.client.supersim.v1.smsCommands.list({ sim: n.simSid, direction: "from_sim", limit: 20 });
      assert.ok(list.map((x) => x.payload).includes("ping from the device"), "a from_sim SmsCommand with the text");
    },
  },
];

const end: Step[] = [
  {
    id: "reset",
    name: "resets (AT+CFUN=1,1), comes back initialised and registers again",
    needsNetwork: false,
    needs: ["udp-listen"],
    async run(ctx) {
      await call<void>((cb) => ctx.modem.power.reset(cb));
      assert.equal((await call<Registration>((cb) => ctx.modem.network.register(cb))).registered, true, "registered after reset");
      await call<void>((cb) => ctx.modem.network.attach(cb));
      const s = await call<UdpSocket>((cb) => ctx.modem.udp.open({ localPort: DEFAULT_DEVICE_PORT, mode: "buffer" }, cb));
      // The reset closed every socket: the driver forgot them too, so the listener's id is free again.
      assert.equal(s.id, listenerOf(ctx).id, "socket id after reset");
      await call<void>((cb) => ctx.modem.udp.close(s, cb));
    },
  },
  {
    id: "no-async-errors",
    name: "no asynchronous driver errors",
    needsNetwork: false,
    needs: [],
    async run(ctx) {
      assert.deepEqual(ctx.errors, [], "errors reported through onError");
    },
  },
];

/** The steps for `family`, in the order they run. */
export function scenario(family: ModemFamily): Step[] {
  return [...setup, ...udp, family === "sara-r4" ? noPush : push, reopen, ...sms, ...end];
}
