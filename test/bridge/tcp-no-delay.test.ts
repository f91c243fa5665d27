/**
 * TCP_NODELAY on the MQTT connections (host-tools/mqtt/no-delay.ts): the helper's contract with stand-in
 * streams, and the bridge against a real, private Mosquitto — its socket to the broker has Nagle's algorithm
 * off, and so has the socket it opens when the broker comes back after a restart.
 */
import net from "node:net";
import { afterAll, describe, expect, jest, test } from "@jest/globals";
import type { MqttClient } from "mqtt";
import { startBridge } from "../../host-tools/bridge/index.js";
import { tcpNoDelay } from "../../host-tools/mqtt/no-delay.js";
import { Recorder, tempDir } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

describe("tcpNoDelay", () => {
  class FakeSocket {
    calls: (boolean | undefined)[] = [];
    setNoDelay(v?: boolean): this {
      this.calls.push(v);
      return this;
    }
  }

  test("the current stream and every stream built later get setNoDelay(true); a stream without it is left alone", () => {
    const first = new FakeSocket();
    const later = [new FakeSocket(), { write: () => true } /* a WebSocket stream: no setNoDelay */, new FakeSocket()];
    let built = 0;
    const fake = { stream: first, streamBuilder: () => later[built++] };
    const client = fake as unknown as MqttClient;
    expect(tcpNoDelay(client)).toBe(client);
    expect(first.calls).toEqual([true]);
    const builder = (fake as unknown as { streamBuilder: (c: MqttClient) => unknown }).streamBuilder;
    expect(builder(client)).toBe(later[0]);
    expect(() => builder(client)).not.toThrow();
    expect(builder(client)).toBe(later[2]);
    expect((later[0] as FakeSocket).calls).toEqual([true]);
    expect((later[2] as FakeSocket).calls).toEqual([true]);
  });

  test("no stream yet (mqtt.js not connecting): nothing to set, later streams still get it", () => {
    const s = new FakeSocket();
    const fake = { stream: undefined, streamBuilder: () => s };
    tcpNoDelay(fake as unknown as MqttClient);
    (fake as unknown as { streamBuilder: (c: unknown) => unknown }).streamBuilder(fake);
    expect(s.calls).toEqual([true]);
  });
});

describe("the bridge's MQTT socket", () => {
  test("has Nagle's algorithm off, on the first connection and on the one after a broker restart", async () => {
    const spy = jest.spyOn(net.Socket.prototype, "setNoDelay");
    const brokerDir = tempDir("nodelay-mosquitto");
    dirs.push(brokerDir);
    const data = tempDir("nodelay");
    dirs.push(data);
    const broker = await MosquittoProcess.start(brokerDir.dir);
    const instance = "nodelay";
    const prefix = `nodelay/${instance}`;
    const presence = `${prefix}/bridge/${instance}/state`;
    const rec = await Recorder.open(broker.url, [presence]);
    const bridge = await startBridge({ port: 0, data: data.dir, mqtt: broker.url, mqttVersion: 4, instance, prefix, twilio: { accountSid: "AC" + "0".repeat(32), authToken: "f".repeat(32) } });
    /** The sockets to the broker's port that were given setNoDelay(true) (the recorder's own client never is). */
    const toBroker = (): net.Socket[] =>
      spy.mock.contexts.filter((s, i) => (s as net.Socket).remotePort === broker.port && spy.mock.calls[i]?.[0] !== false) as net.Socket[];
    try {
      await rec.waitFor((m) => m.topic === presence && m.text === "online");
      const first = toBroker().filter((s) => !s.destroyed);
      expect(first.length).toBeGreaterThanOrEqual(1);
      await broker.stop();
      await broker.restart();
      // online again: the bridge publishes its presence on each CONNACK (the recorder reconnects by itself)
      await rec.waitFor((m) => m.topic === presence && m.text === "online", 2, 20_000);
      const live = toBroker().filter((s) => !s.destroyed && !first.includes(s));
      expect(live.length).toBeGreaterThanOrEqual(1);
      expect(bridge.mqttState().state).toBe("up");
    } finally {
      await bridge.close({ drain: false });
      await rec.client.endAsync();
      await broker.stop();
      spy.mockRestore();
    }
  });
});
