/**
 * A dead instance's broker session, drained by the survivor that took it over (host-tools/bridge/session-drain.ts),
 * against a private Mosquitto: the broker keeps giving an offline member of a shared subscription its share of the
 * downlinks; the drain hands every one of them over exactly once, a failed drain keeps them in the session for the
 * next, and once drained the session is gone, so every later downlink goes to the live members.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import mqtt, { type IConnackPacket } from "mqtt";
import { NodeClock } from "../../host-tools/clock/node-clock.js";
import { normalize } from "../../host-tools/bridge/config.js";
import { clientIdOf, downFilter, stateSetFilter } from "../../host-tools/bridge/mqtt-link.js";
import { drainSession } from "../../host-tools/bridge/session-drain.js";
import { Recorder, tempDir } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const dir = tempDir("session-drain");
let broker: MosquittoProcess;
const prefix = `drain${process.pid}`;
const cfg = normalize({ signature: "off", prefix, instance: "live", shared: "on" });
const clock = new NodeClock();

beforeAll(async () => {
  broker = await MosquittoProcess.start(dir.dir);
}, 30_000);

afterAll(async () => {
  await broker?.stop();
  dir.remove();
});

const downTopic = (i: number): string => `${prefix}/devices/dev${i}/down`;

test("the downlinks queued for a dead member go to the survivor once each; then its session is gone", async () => {
  // the dead instance: a persistent session in the share group, its connection dropped without a DISCONNECT
  const dead = await mqtt.connectAsync(broker.url, { clientId: clientIdOf("dead"), clean: false, protocolVersion: 5, reconnectPeriod: 0, properties: { sessionExpiryInterval: 3600 } });
  await dead.subscribeAsync({ [downFilter(cfg, true)]: { qos: 1 }, [stateSetFilter(cfg)]: { qos: 1 } });
  dead.stream.destroy();
  await new Promise<void>((r) => dead.once("close", () => r()));
  await dead.endAsync(true);

  const live = await Recorder.open(broker.url, [downFilter(cfg, true)], { clientId: `live-${process.pid}`, protocolVersion: 5 });
  const backend = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  const N = 20;
  for (let i = 0; i < N; i++) await backend.publishAsync(downTopic(i), JSON.stringify({ id: `d${i}` }), { qos: 1 });
  await backend.publishAsync(`${prefix}/devices/dev0/state/set`, "fault", { qos: 1 });
  await live.settle();
  const toLive = live.msgs.map((m) => m.topic);
  expect(toLive.length).toBeLessThan(N); // the broker gave the offline member its share

  // a drain whose store refuses: it fails, and what the session held stays there
  await expect(
    drainSession({
      url: broker.url, protocolVersion: 5, cfg, instance: "dead", clock,
      onMessage: () => {
        throw new Error("store closed");
      },
    }),
  ).rejects.toThrow(/store closed/);

  const handed: string[] = [];
  const n = await drainSession({ url: broker.url, protocolVersion: 5, cfg, instance: "dead", clock, quietMs: 200, onMessage: (t) => void handed.push(t) });
  expect(n).toBe(handed.length);
  expect(handed.every((t) => t.endsWith("/down"))).toBe(true); // the state request is dropped: every instance's own session has it
  expect([...toLive, ...handed].sort()).toEqual(Array.from({ length: N }, (_, i) => downTopic(i)).sort());

  // the session ended: nothing more goes to it, and it is not there to resume
  for (let i = N; i < 2 * N; i++) await backend.publishAsync(downTopic(i), JSON.stringify({ id: `d${i}` }), { qos: 1 });
  await live.waitFor(() => true, toLive.length + N);
  const again = mqtt.connect(broker.url, { clientId: clientIdOf("dead"), clean: false, protocolVersion: 5, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } });
  const connack = await new Promise<IConnackPacket>((resolve) => again.once("connect", resolve));
  expect(connack.sessionPresent).toBe(false);
  await again.endAsync();
  await backend.endAsync();
  await live.close();
});
