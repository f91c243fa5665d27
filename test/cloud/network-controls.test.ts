/**
 * The mock network's per-SIM controls over real UDP: detach and attach again with the same mapping
 * (`{"restore": true}`), power off / on, a SIM's own loss and latency, seeded (replayable) loss, PSM with and
 * without HLCOM, and the traffic events carrying the bytes (hex) and the resource they belong to (ref).
 * Time-dependent behaviour runs on a FakeClock; every wait is a bounded wait on an event or a datagram.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { encodeSubmit } from "../../host-tools/pdu/index.js";
import { activeSim, admin, cloudAndClient, Udp, type Client } from "./harness.js";

let clock: FakeClock;
let cloud: CloudHandle;
let client: Client;
const sockets: Udp[] = [];
const udp = async (): Promise<Udp> => {
  const u = await Udp.open();
  sockets.push(u);
  return u;
};

beforeAll(async () => {
  clock = new FakeClock(Date.parse("2025-06-01T12:00:00Z"));
  ({ cloud, client } = await cloudAndClient({ timers: clock }));
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await cloud.close();
});
afterEach(async () => {
  expect((await admin(cloud, "/_mock/network", { loss: 0, latency_ms: 0, seed: null })).status).toBe(200);
});

/** An active Super SIM attached with device port 7 → `dev`, and SMS → `sms`. */
async function attachedSim(): Promise<{ simSid: string; dev: Udp; sms: Udp; mo: string; smsc: string }> {
  const { sim } = await activeSim(client);
  const dev = await udp();
  const sms = await udp();
  const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: { "7": dev.addr }, sms: sms.addr });
  expect(att.status).toBe(200);
  return { simSid: sim.sid, dev, sms, mo: att.json.mo as string, smsc: att.json.smsc as string };
}

const ipCommand = (sim: string, payload: string) => client.supersim.v1.ipCommands.create({ sim, payload, devicePort: 7 });
/** The next event of `type` for the SIM (optionally about `ref`). */
const next = (type: string, simSid: string, ref?: string) => cloud.events.waitFor((e) => e.type === type && e.sim_sid === simSid && (ref === undefined || e.ref === ref || e.command_sid === ref));

describe("detach and attach again", () => {
  test("detach keeps the SIM's addresses: what the device sends meanwhile is dropped; {restore: true} brings back its mapping", async () => {
    const { simSid, dev, mo } = await attachedSim();
    const d = await admin(cloud, `/_mock/sims/${simSid}/detach`, {});
    expect(d.json).toMatchObject({ attached: false, reattachable: true, powered: true });

    const dropped = next("ip.lost", simSid);
    await dev.send(Buffer.from("hello?"), mo);
    expect(await dropped).toMatchObject({ direction: "mo", reason: "detached", bytes: 6, hex: Buffer.from("hello?").toString("hex").toUpperCase() });

    const failed = next("ip_command.failed", simSid);
    await ipCommand(simSid, "while away");
    expect(await failed).toMatchObject({ error_code: 83401, error_message: "The device was not attached to a cellular network" });

    const r = await admin(cloud, `/_mock/sims/${simSid}/attach`, { restore: true });
    expect(r.status).toBe(200);
    expect(r.json.mo).toBe(mo); // the same address: the device needs no new attach answer
    const c = await ipCommand(simSid, "back");
    expect((await dev.next()).msg.toString()).toBe("back");
    const received = next("ip_command.received", simSid);
    await dev.send(Buffer.from("ok"), mo);
    await received;
    expect((await admin(cloud, `/_mock/sims/${simSid}`)).json).toMatchObject({ attached: true, ports: { "7": dev.addr } });
    expect(c.status).toBe("queued");
  });

  test("restore without an earlier attachment, or with other fields, is a 400", async () => {
    const { sim } = await activeSim(client);
    const none = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { restore: true });
    expect([none.status, none.json.code]).toEqual([400, 20001]);
    expect(String(none.json.message)).toMatch(/no earlier attachment/);
    const mixed = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { restore: true, ports: {} });
    expect([mixed.status, mixed.json.code]).toEqual([400, 20001]);
    const notTrue = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { restore: "yes" });
    expect([notTrue.status, notTrue.json.code]).toEqual([400, 20001]);
  });
});

describe("power off and on", () => {
  test("off: detached, MT IP fails 83401, attaches are refused (409), SMS wait; on: attached with the same mapping, the SMS goes out", async () => {
    const { simSid, dev, sms } = await attachedSim();
    const off = await admin(cloud, `/_mock/sims/${simSid}/power-off`, {});
    expect(off.json).toMatchObject({ attached: false, powered: false });
    const failed = next("ip_command.failed", simSid);
    await ipCommand(simSid, "anyone?");
    expect((await failed).error_code).toBe(83401);
    const refused = await admin(cloud, `/_mock/sims/${simSid}/attach`, { ports: { "7": dev.addr } });
    expect([refused.status, refused.json.code]).toEqual([409, 20409]);
    expect(String(refused.json.message)).toMatch(/powered off/);
    expect((await admin(cloud, `/_mock/sims/${simSid}/attach`, { restore: true })).status).toBe(409);

    const cmd = await client.supersim.v1.smsCommands.create({ sim: simSid, payload: "wake up" });
    expect((await admin(cloud, `/_mock/sims/${simSid}`)).json).toMatchObject({ sms_queue: 1 });
    const sent = next("sms.deliver.sent", simSid, cmd.sid);
    const on = await admin(cloud, `/_mock/sims/${simSid}/power-on`, {});
    expect(on.json).toMatchObject({ attached: true, powered: true, ports: { "7": dev.addr }, sms: sms.addr });
    expect((await sent).ref).toBe(cmd.sid);
    expect((await sms.next()).msg.length).toBeGreaterThan(10);
    // Powering on twice, or off twice, changes nothing.
    expect((await admin(cloud, `/_mock/sims/${simSid}/power-on`, {})).json).toMatchObject({ attached: true, powered: true });
  });

  test("a SIM never attached stays detached when powered on", async () => {
    const { sim } = await activeSim(client);
    await admin(cloud, `/_mock/sims/${sim.sid}/power-off`, {});
    expect((await admin(cloud, `/_mock/sims/${sim.sid}/power-on`, {})).json).toMatchObject({ attached: false, powered: true, reattachable: false });
  });
});

describe("a SIM's own loss and latency", () => {
  test("loss 1 on one SIM loses its datagrams (ip.lost with ref and hex) and not another SIM's; null goes back to the network's", async () => {
    const a = await attachedSim();
    const b = await attachedSim();
    const set = await admin(cloud, `/_mock/sims/${a.simSid}/conditions`, { loss: 1 });
    expect(set.json.conditions).toEqual({ loss: 1, latency_ms: null, seed: null });
    const lost = next("ip.lost", a.simSid);
    const c = await ipCommand(a.simSid, "gone");
    expect(await lost).toMatchObject({ direction: "mt", reason: "loss", ref: c.sid, hex: Buffer.from("gone").toString("hex").toUpperCase() });
    const sentB = next("ip.sent", b.simSid);
    const cb = await ipCommand(b.simSid, "fine");
    expect((await b.dev.next()).msg.toString()).toBe("fine");
    expect(await sentB).toMatchObject({ ref: cb.sid, hex: Buffer.from("fine").toString("hex").toUpperCase(), bytes: 4 });

    expect((await admin(cloud, `/_mock/sims/${a.simSid}/conditions`, { loss: null })).json.conditions).toEqual({ loss: null, latency_ms: null, seed: null });
    await ipCommand(a.simSid, "again");
    expect((await a.dev.next()).msg.toString()).toBe("again");
  });

  test("a SIM's latency delays its datagrams on the cloud's clock, over the network's", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, "/_mock/network", { latency_ms: 50 });
    await admin(cloud, `/_mock/sims/${simSid}/conditions`, { latency_ms: 400 });
    await ipCommand(simSid, "slow");
    clock.advance(399);
    await new Promise((r) => setTimeout(r, 30));
    expect(dev.queue).toHaveLength(0);
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("slow");
    await admin(cloud, `/_mock/sims/${simSid}/conditions`, { latency_ms: null });
  });

  test("seeded loss replays: the same seed and the same traffic lose the same datagrams", async () => {
    const { simSid } = await attachedSim();
    const run = async (): Promise<string> => {
      await admin(cloud, `/_mock/sims/${simSid}/conditions`, { loss: 0.5, seed: 1234 });
      let pattern = "";
      for (let i = 0; i < 16; i++) {
        const fate = cloud.events.waitFor((e) => (e.type === "ip.sent" || e.type === "ip.lost") && e.sim_sid === simSid);
        await ipCommand(simSid, `n${i}`);
        pattern += (await fate).type === "ip.lost" ? "x" : ".";
      }
      return pattern;
    };
    const first = await run();
    expect(await run()).toBe(first);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    // The network-wide seed works the same way for SIMs without their own.
    await admin(cloud, `/_mock/sims/${simSid}/conditions`, { loss: null, seed: null });
    const net = await admin(cloud, "/_mock/network", { loss: 0.5, seed: 1234 });
    expect(net.json).toMatchObject({ loss: 0.5, seed: 1234 });
  });

  test("bad values are 400/20001 and change nothing", async () => {
    const { simSid } = await attachedSim();
    for (const body of [{ loss: 2 }, { loss: "0.3" }, { latency_ms: -1 }, { seed: 1.5 }, { seed: 2 ** 32 }, { colour: "red" }]) {
      const r = await admin(cloud, `/_mock/sims/${simSid}/conditions`, body);
      expect({ body, status: r.status, code: r.json.code }).toEqual({ body, status: 400, code: 20001 });
    }
    expect((await admin(cloud, `/_mock/sims/${simSid}`)).json.conditions).toEqual({ loss: null, latency_ms: null, seed: null });
    expect((await admin(cloud, "/_mock/network", { seed: -1 })).status).toBe(400);
  });
});

describe("PSM", () => {
  test("awake after a TAU: paged like idle; asleep: IP dropped without HLCOM, held until the next wake with it; SMS waits", async () => {
    const { simSid, dev, sms } = await attachedSim();
    const p = await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "psm", psm_tau_ms: 10_000, psm_active_ms: 2_000, paging_delay_ms: 100 });
    expect(p.json).toMatchObject({ mode: "psm", hlcom: false, psm_tau_ms: 10_000, psm_active_ms: 2_000 });
    await ipCommand(simSid, "awake");
    clock.advance(100);
    expect((await dev.next()).msg.toString()).toBe("awake");

    clock.advance(2_000); // 2.1 s into the 10 s cycle: asleep
    const lost = next("ip.lost", simSid);
    await ipCommand(simSid, "asleep");
    expect(await lost).toMatchObject({ reason: "psm-no-hlcom" });

    await admin(cloud, `/_mock/sims/${simSid}/power`, { hlcom: true }); // a new cycle starts now
    clock.advance(2_500);
    const held = await ipCommand(simSid, "held");
    const sent = next("ip.sent", simSid, held.sid);
    clock.advance(7_499);
    await new Promise((r) => setTimeout(r, 30));
    expect(dev.queue).toHaveLength(0);
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("held");
    await sent;

    clock.advance(3_000); // asleep again: the SMS waits for the next wake too
    const cmd = await client.supersim.v1.smsCommands.create({ sim: simSid, payload: "later" });
    const deliver = next("sms.deliver.sent", simSid, cmd.sid);
    clock.advance(7_000);
    expect((await deliver).attempt).toBe(1);
    expect((await sms.next()).msg.length).toBeGreaterThan(10);
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "connected", hlcom: false });
  });

  test("a bad mode or PSM timer is a 400", async () => {
    const { simSid } = await attachedSim();
    for (const body of [{ mode: "sleep" }, { mode: "psm", psm_tau_ms: 0 }, { psm_active_ms: -5 }]) {
      expect((await admin(cloud, `/_mock/sims/${simSid}/power`, body)).status).toBe(400);
    }
  });
});

describe("traffic events carry the bytes and the resource", () => {
  test("SMS: the DELIVER and the DELIVER-REPORT with the Command's ref, the device's SUBMIT with its TPDU", async () => {
    const { simSid, sms, smsc } = await attachedSim();
    const cmd = await client.supersim.v1.smsCommands.create({ sim: simSid, payload: "hi" });
    const sent = await next("sms.deliver.sent", simSid, cmd.sid);
    expect(sent).toMatchObject({ ref: cmd.sid, part: 1, parts: 1, attempt: 1 });
    expect((await sms.next()).msg.toString("hex").toUpperCase()).toBe(sent.tpdu);
    // An RP-ACK DELIVER-REPORT (TP-MTI 00, no parameters) and an SMS-SUBMIT of "ok" to 000.
    const delivered = next("sms.delivered", simSid, cmd.sid);
    await sms.send(Buffer.from("0000", "hex"), smsc);
    expect(await delivered).toMatchObject({ ref: cmd.sid, tpdu: "0000" });
    const submit = (encodeSubmit({ to: "000", text: "ok", includeSmsc: false })[0] as string).toUpperCase();
    const received = next("sms.submit.received", simSid);
    await sms.send(Buffer.from(submit, "hex"), smsc);
    expect(await received).toMatchObject({ destination: "000", tpdu: submit });
  });
});
