/**
 * Network conditions over real UDP (docs/mock-network.md): LTE idle paging delay, latency, loss, eDRX with
 * and without HLCOM. Time-dependent behaviour runs on a FakeClock injected with startCloud({timers}), so the
 * tests move time instead of sleeping; every wait for something that should happen is a bounded wait on an
 * event, and "nothing arrived" is checked after the event that says the datagram was dropped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { activeSim, admin, cloudAndClient, Udp, type Client } from "./harness.js";

const T0 = Date.parse("2025-06-01T12:00:00Z");
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
  clock = new FakeClock(T0);
  ({ cloud, client } = await cloudAndClient({ timers: clock }));
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await cloud.close();
});
afterEach(async () => {
  expect((await admin(cloud, "/_mock/network", { loss: 0, latency_ms: 0 })).status).toBe(200);
});

/** An active Super SIM attached with device port 7 mapped to a fresh UDP socket. */
async function attachedSim(): Promise<{ simSid: string; dev: Udp; mo: string }> {
  const { sim } = await activeSim(client);
  const dev = await udp();
  const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: { "7": dev.addr } });
  expect(att.status).toBe(200);
  return { simSid: sim.sid, dev, mo: att.json.mo as string };
}

/** Events of `type` for the SIM so far (the bus keeps the last 1000). */
const seen = (type: string, simSid: string) => cloud.events.recent.filter((e) => e.type === type && e.sim_sid === simSid);

/** Lets real I/O and immediates run (the fake clock does not move). */
const settle = () => new Promise<void>((r) => setTimeout(r, 30));

describe("LTE idle: paging delay", () => {
  test("the datagram leaves no earlier than paging_delay_ms after the create; the IpCommand is sent", async () => {
    const { simSid, dev } = await attachedSim();
    const p = await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "idle", paging_delay_ms: 800 });
    expect(p.json).toMatchObject({ mode: "idle", paging_delay_ms: 800 });
    clock.set(Math.ceil(clock.now() / 1000) * 1000 + 500); // x.500 s: the send falls in the next second
    const createdAt = clock.now();
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "wake", devicePort: 7 });
    expect(c.status).toBe("queued");

    clock.advance(799);
    await settle();
    expect(dev.queue).toHaveLength(0);
    expect(seen("ip.sent", simSid)).toHaveLength(0);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("queued");

    const sent = cloud.events.waitFor((e) => e.type === "ip_command.sent" && e.command_sid === c.sid);
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("wake");
    await sent;
    const f = await client.supersim.v1.ipCommands(c.sid).fetch();
    expect(f.status).toBe("sent");
    expect(f.deviceIp).toMatch(/^10\.64\.\d+\.\d+$/);
    // Dates are on the cloud's clock (v1 dates have whole seconds): created at x.500, sent 800 ms later.
    expect(f.dateCreated.getTime()).toBe(Math.floor(createdAt / 1000) * 1000);
    expect(f.dateUpdated.getTime()).toBe(Math.floor((createdAt + 800) / 1000) * 1000);
  });

  test("detached while being paged → failed with 83401", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "idle", paging_delay_ms: 5000 });
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "late", devicePort: 7 });
    await admin(cloud, `/_mock/sims/${simSid}/detach`, {});
    const failed = cloud.events.waitFor((e) => e.type === "ip_command.failed" && e.command_sid === c.sid);
    clock.advance(5000);
    expect((await failed).error_code).toBe(83401);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("failed");
    expect(dev.queue).toHaveLength(0);
  });

  test("back to connected: no delay", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "idle", paging_delay_ms: 60000 });
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "connected" });
    await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "now", devicePort: 7 });
    expect((await dev.next()).msg.toString()).toBe("now");
  });
});

describe("latency", () => {
  test("MT: latency_ms delays the datagram by exactly that much of the cloud's clock", async () => {
    const { simSid, dev } = await attachedSim();
    expect((await admin(cloud, "/_mock/network", { latency_ms: 250 })).json).toMatchObject({ latency_ms: 250 });
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "slow", devicePort: 7 });
    clock.advance(249);
    await settle();
    expect(dev.queue).toHaveLength(0);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("queued");
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("slow");
  });

  test("latency adds to the paging delay", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, "/_mock/network", { latency_ms: 100 });
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "idle", paging_delay_ms: 400 });
    await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "both", devicePort: 7 });
    clock.advance(499);
    await settle();
    expect(dev.queue).toHaveLength(0);
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("both");
  });

  test("MO: a device datagram becomes a from_sim IpCommand only after latency_ms", async () => {
    const { simSid, dev, mo } = await attachedSim();
    await admin(cloud, "/_mock/network", { latency_ms: 300 });
    // The datagram reaches the cloud's socket at once (real UDP); the network holds it for the latency.
    const atSocket = cloud.events.waitFor((e) => e.type === "ip.received" && e.sim_sid === simSid);
    await dev.send(Buffer.from("up"), mo);
    await settle();
    expect(seen("ip.received", simSid)).toHaveLength(0);
    clock.advance(300);
    expect((await atSocket).bytes).toBe(2);
    const list = await client.supersim.v1.ipCommands.list({ sim: simSid, direction: "from_sim" });
    expect(list.map((x) => [x.status, x.payload])).toEqual([["received", Buffer.from("up").toString("base64")]]);
  });
});

describe("loss", () => {
  test("loss 1: the MT datagram is lost (ip.lost), nothing arrives, the IpCommand is still sent", async () => {
    const { simSid, dev } = await attachedSim();
    expect((await admin(cloud, "/_mock/network", { loss: 1 })).json).toMatchObject({ loss: 1 });
    const lost = cloud.events.waitFor((e) => e.type === "ip.lost" && e.sim_sid === simSid);
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "gone", devicePort: 7 });
    expect((await lost).reason).toBe("loss");
    const sent = cloud.events.waitFor((e) => e.type === "ip_command.sent" && e.command_sid === c.sid, 5000, true);
    await sent;
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("sent");
    // Nothing left the mo socket: the next datagram (loss back to 0) is the first one the device gets.
    await admin(cloud, "/_mock/network", { loss: 0 });
    await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "kept", devicePort: 7 });
    expect((await dev.next()).msg.toString()).toBe("kept");
    expect(dev.queue).toHaveLength(0);
    expect(seen("ip.sent", simSid)).toHaveLength(1);
  });

  test("loss 1: a device datagram is lost before it becomes a from_sim IpCommand", async () => {
    const { simSid, dev, mo } = await attachedSim();
    await admin(cloud, "/_mock/network", { loss: 1 });
    const lost = cloud.events.waitFor((e) => e.type === "ip.lost" && e.sim_sid === simSid && e.direction === "mo");
    await dev.send(Buffer.from("up"), mo);
    expect((await lost).reason).toBe("loss");
    expect(seen("ip.received", simSid)).toHaveLength(0);
    expect(await client.supersim.v1.ipCommands.list({ sim: simSid, direction: "from_sim" })).toHaveLength(0);
  });

  test("over HTTP: GET /_mock/events streams the ip.lost event", async () => {
    const { simSid } = await attachedSim();
    await admin(cloud, "/_mock/network", { loss: 1 });
    const ac = new AbortController();
    const auth = "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");
    const res = await fetch(cloud.url + "/_mock/events?types=ip.lost", { headers: { authorization: auth }, signal: ac.signal });
    try {
      const reader = res.body!.getReader();
      await reader.read(); // the comment line: subscribed
      await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "x", devicePort: 7 });
      let text = "";
      const deadline = Date.now() + 5000;
      while (!text.includes(simSid) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain("event: ip.lost");
      expect(text).toContain(`"sim_sid":"${simSid}"`);
      expect(text).toContain(`"reason":"loss"`);
    } finally {
      ac.abort();
    }
  });
});

describe("eDRX", () => {
  test("with HLCOM: buffered until the next paging window, counted from when the mode was set", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "edrx", hlcom: true, edrx_cycle_ms: 10240 });
    clock.advance(3000); // 3000 ms into the cycle: the next window opens 7240 ms from now
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "buffered", devicePort: 7 });
    clock.advance(7239);
    await settle();
    expect(dev.queue).toHaveLength(0);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("queued");
    const sent = cloud.events.waitFor((e) => e.type === "ip_command.sent" && e.command_sid === c.sid);
    clock.advance(1);
    expect((await dev.next()).msg.toString()).toBe("buffered");
    await sent;
  });

  test("with HLCOM, created exactly at a window: sent at once", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "edrx", hlcom: true, edrx_cycle_ms: 5000 });
    clock.advance(10000);
    await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "window", devicePort: 7 });
    expect((await dev.next()).msg.toString()).toBe("window");
  });

  test("without HLCOM: dropped (ip.lost edrx-no-hlcom), nothing arrives even after the window, status sent", async () => {
    const { simSid, dev } = await attachedSim();
    await admin(cloud, `/_mock/sims/${simSid}/power`, { mode: "edrx", hlcom: false, edrx_cycle_ms: 2000 });
    const lost = cloud.events.waitFor((e) => e.type === "ip.lost" && e.sim_sid === simSid);
    const c = await client.supersim.v1.ipCommands.create({ sim: simSid, payload: "drop", devicePort: 7 });
    expect((await lost).reason).toBe("edrx-no-hlcom");
    await cloud.events.waitFor((e) => e.type === "ip_command.sent" && e.command_sid === c.sid, 5000, true);
    clock.advance(4000);
    await settle();
    expect(dev.queue).toHaveLength(0);
    expect(seen("ip.sent", simSid)).toHaveLength(0);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("sent");
  });

  test("MT SMS waits for the window with or without HLCOM", async () => {
    const { sim } = await activeSim(client);
    const modem = await udp();
    await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { sms: modem.addr });
    await admin(cloud, `/_mock/sims/${sim.sid}/power`, { mode: "edrx", hlcom: false, edrx_cycle_ms: 4000 });
    clock.advance(1000);
    await client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "sms in edrx" });
    await settle();
    clock.advance(2999);
    await settle();
    expect(modem.queue).toHaveLength(0);
    clock.advance(1);
    expect((await modem.next()).msg.length).toBeGreaterThan(10);
  });
});

describe("real timers (no injected clock)", () => {
  test("paging delay over wall-clock time: the datagram arrives no earlier than the delay", async () => {
    const { cloud: real, client: rc } = await cloudAndClient();
    try {
      const { sim } = await activeSim(rc);
      const dev = await udp();
      await admin(real, `/_mock/sims/${sim.sid}/attach`, { ports: { "9": dev.addr } });
      await admin(real, `/_mock/sims/${sim.sid}/power`, { mode: "idle", paging_delay_ms: 300 });
      const t0 = performance.now();
      await rc.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "paged", devicePort: 9 });
      expect((await dev.next()).msg.toString()).toBe("paged");
      expect(performance.now() - t0).toBeGreaterThanOrEqual(295); // timers may round by a millisecond
    } finally {
      await real.close();
    }
  });
});
