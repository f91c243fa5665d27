/**
 * `simcmd dev` / `startDev()`: the whole local stack on embedded defaults — the mock
 * cloud, the bridge with an embedded Aedes broker (or `mqtt`), a Fleet whose webhooks point at the
 * bridge, simulated devices whose firmware agent runs in XS on the mock network, and the dashboard
 * (docs/dashboard.md). Everything a backend needs is then MQTT: publish `{prefix}/devices/<name>/down`, read
 * `…/up` and `…/down/<status>`; the dashboard shows the same traffic and sends commands the same way, and,
 * holding the mock cloud's credentials, each command's journey and the controls of the simulated network.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startBridge, type BridgeHandle } from "../bridge/index.js";
import { startCloud, type CloudHandle } from "../cloud/index.js";
import { startDashboard, type DashboardHandle } from "../dashboard/index.js";
import { twilioClient } from "../platform/twilio-client.js";
import { SimulatedDevice } from "../device-host/device.js";

export interface DevOptions {
  /** External broker URL; absent: an embedded Aedes broker. */
  mqtt?: string;
  /** Mock cloud HTTP port. Default 4010; another free port when it is taken. 0: any free port. */
  cloudPort?: number;
  /** Bridge (webhooks) HTTP port. Default 4011; another free port when taken. 0: any. */
  bridgePort?: number;
  /** Embedded broker port. Default 1883; another free port when taken (Mosquitto often holds it). 0: any. */
  brokerPort?: number;
  /** Dashboard HTTP port. Default 4012; another free port when taken. 0: any. */
  dashboardPort?: number;
  /** Simulated devices. Default 2. */
  devices?: number;
  /** Where the devices' agent runs. Default "xs" (the bundle that ships). */
  runtime?: "xs" | "node";
  /** Directory for state (cloud SQLite, bridge outbox, device storage). Default: a new temporary one, removed on close. */
  data?: string;
  /** MQTT topic prefix. Default "simcmd/v1". */
  prefix?: string;
}

export interface DevDevice {
  name: string;
  sim_sid: string;
  /** How the device is reached: IP Commands (UDP) and SMS Commands. */
  transport: "ip+sms";
}

export interface DevHandle {
  mqtt: string;
  cloud: string;
  bridge: string;
  /** `http://host:port` of the dashboard page. */
  dashboard: string;
  account_sid: string;
  auth_token: string;
  prefix: string;
  devices: DevDevice[];
  close(): Promise<void>;
}

function inUse(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "EADDRINUSE";
}

/** Starts on `port`, or on a free port when that one is taken (unless the caller asked for it explicitly). */
async function onPort<T>(port: number, start: (p: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (e) {
    if (port !== 0 && inUse(e)) return start(0);
    throw e;
  }
}

export async function startDev(o: DevOptions = {}): Promise<DevHandle> {
  const tmp = o.data === undefined;
  const data = o.data ?? fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-dev-"));
  fs.mkdirSync(data, { recursive: true });
  const prefix = o.prefix ?? "simcmd/v1";
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    if (tmp) fs.rmSync(data, { recursive: true, force: true });
  };
  try {
    const cloud: CloudHandle = await onPort(o.cloudPort ?? 4010, (port) => startCloud({ port, data: path.join(data, "cloud.sqlite") }));
    closers.push(() => cloud.close());
    const twilio = { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken };
    const bridge: BridgeHandle = await onPort(o.bridgePort ?? 4011, (port) =>
      startBridge({
        port,
        brokerPort: o.brokerPort ?? 1883,
        data: path.join(data, "bridge"),
        prefix,
        instance: "dev",
        twilio,
        ...(o.mqtt === undefined ? {} : { mqtt: o.mqtt }),
      }),
    );
    closers.push(() => bridge.close());
    const client = twilioClient(twilio);
    const fleet = await client.supersim.v1.fleets.create({
      uniqueName: "dev-fleet",
      networkAccessProfile: "HA00000000000000000000000000000000",
      smsCommandsEnabled: true,
      ipCommandsUrl: `${bridge.url}/webhooks/twilio/ip-commands`,
      smsCommandsUrl: `${bridge.url}/webhooks/twilio/sms-commands`,
    });
    const devices: DevDevice[] = [];
    const count = o.devices ?? 2;
    for (let i = 1; i <= count; i++) {
      const name = `device-${i}`;
      const iccid = "8988307000000" + String(100000 + i).padStart(6, "0");
      const reg = await client.supersim.v1.sims.create({ iccid, registrationCode: "000000" });
      const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: name });
      const device = await SimulatedDevice.start({
        cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
        sim: name,
        runtime: o.runtime ?? "xs",
        storage: path.join(data, `${name}.json`),
      });
      closers.push(() => device.close());
      devices.push({ name, sim_sid: sim.sid, transport: "ip+sms" });
    }
    const dashboard: DashboardHandle = await onPort(o.dashboardPort ?? 4012, (port) => startDashboard({ port, mqtt: bridge.mqttUrl, prefix, devices, cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken } }));
    closers.push(() => dashboard.close());
    return {
      mqtt: bridge.mqttUrl,
      cloud: cloud.url,
      bridge: bridge.url,
      dashboard: dashboard.url,
      account_sid: cloud.accountSid,
      auth_token: cloud.authToken,
      prefix,
      devices,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
