/**
 * What the scenario's steps work with: the driver of one family over the AT engine on an open
 * serial port, the inboxes its handlers fill, and — on a virtual modem only — the mock network.
 */
import { AtEngine } from "../../firmware/at/index.js";
import { createModem, type Datagram, type Identity, type Modem, type ModemError, type ModemFamily, type SmsMessage, type StatusReport, type UdpSocket } from "../../firmware/modems/index.js";
import type { CloudHandle } from "../cloud/index.js";
import type { twilioClient } from "../platform/twilio-client.js";
import { Inbox } from "./driver-calls.js";
import { NodeClock } from "../clock/node-clock.js";
import type { NodeSerial } from "../device-host/node-serial.js";

/** The official twilio client, as `twilioClient` returns it. */
export type CloudClient = ReturnType<typeof twilioClient>;

/** The mock network a virtual modem is attached to. Hardware has none. */
export interface MockNetwork {
  /** The started mock cloud; its network simulator also sends MT SMS directly. */
  cloud: CloudHandle;
  /** The official client pointed at `cloud`. */
  client: CloudClient;
  /** The Super SIM the modem holds. */
  simSid: string;
  /** What the modem should report as its identity; null when not known. */
  identity: Identity | null;
}

/** Driver timings for a run; every field has a default. */
export interface DriverTimings {
  /** Per AT command, from writing it to its final result code, ms. Default 5000. */
  atTimeoutMs?: number;
  /** How long `network.register` waits for home or roaming registration, ms. Default 20000. */
  registrationTimeoutMs?: number;
  /** How long `power.reset` waits for `AT` to answer again, ms. Default 10000. */
  bootTimeoutMs?: number;
  /** Between `AT+CEREG?` polls and boot probes, ms. Default 200. */
  pollIntervalMs?: number;
}

export const DEFAULT_TIMINGS: Required<DriverTimings> = { atTimeoutMs: 5000, registrationTimeoutMs: 20000, bootTimeoutMs: 10000, pollIntervalMs: 200 };

export interface ScenarioContext {
  family: ModemFamily;
  modem: Modem;
  serial: NodeSerial;
  clock: NodeClock;
  /** Failures the driver reported outside a call (`onError`). */
  errors: ModemError[];
  datagrams: Inbox<Datagram>;
  messages: Inbox<SmsMessage>;
  reports: Inbox<StatusReport>;
  /** null on hardware: steps that need it are skipped. */
  network: MockNetwork | null;
  /** The buffer-mode listener on the default device port (set by the "udp-listen" step). */
  listener: UdpSocket | null;
  /** The payload the "udp-send" step sent (checked by "udp-arrival"). */
  sent: number[] | null;
}

/** The driver of `family` on `serial`, its handlers wired to fresh inboxes. */
export function createSession(family: ModemFamily, serial: NodeSerial, network: MockNetwork | null, timings: DriverTimings = {}): ScenarioContext {
  const t = { ...DEFAULT_TIMINGS, ...timings };
  const clock = new NodeClock();
  const errors: ModemError[] = [];
  const engine = new AtEngine({ serial, clock, timeout: t.atTimeoutMs });
  const modem = createModem(family, engine, {
    clock,
    registrationTimeout: t.registrationTimeoutMs,
    pollInterval: t.pollIntervalMs,
    bootTimeout: t.bootTimeoutMs,
    onError: (e) => errors.push(e),
  });
  const ctx: ScenarioContext = {
    family,
    modem,
    serial,
    clock,
    errors,
    datagrams: new Inbox<Datagram>(),
    messages: new Inbox<SmsMessage>(),
    reports: new Inbox<StatusReport>(),
    network,
    listener: null,
    sent: null,
  };
  modem.udp.onDatagram(ctx.datagrams.push);
  modem.sms.onMessage(ctx.messages.push);
  modem.sms.onStatusReport(ctx.reports.push);
  return ctx;
}
