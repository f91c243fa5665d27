/**
 * Where the scenario runs: a serial port (a real modem or device; no mock network), or the virtual
 * modem of a family on a fresh pseudo-terminal, attached to a mock cloud started for the run with one
 * active Super SIM.
 */
import type { ModemFamily } from "../../firmware/modems/index.js";
import { startCloud, type CloudHandle } from "../cloud/index.js";
import { twilioClient } from "../platform/twilio-client.js";
import { startModem, type ModemHandle } from "../virtual-modem/index.js";
import { DEFAULT_BAUD_RATE } from "../device-host/node-serial.js";
import type { MockNetwork } from "./session.js";

export interface HilTarget {
  /** How the report names the target: "virtual", or the serial port. */
  label: "virtual" | string;
  /** The tty to open, e.g. /dev/ttyUSB0 or a virtual modem's /dev/pts/N. */
  port: string;
  /** Bits per second (a pty ignores it). */
  baudRate: number;
  /** The mock network behind the modem; null on hardware. */
  network: MockNetwork | null;
  /** Frees what the target started (virtual modem, mock cloud); idempotent. */
  close(): Promise<void>;
}

/** A modem or device on `port`, with no mock network. */
export function serialTarget(port: string, baudRate = DEFAULT_BAUD_RATE): HilTarget {
  return { label: port, port, baudRate, network: null, close: async () => undefined };
}

export interface VirtualTargetOptions {
  /** Which pty helper the virtual modem uses (host-tools/virtual-modem/pty.ts). Default "auto". */
  ptyHelper?: "auto" | "socat" | "python3";
}

/** ICCID of the run's SIM in its fresh cloud: any 19–20 digits do. */
const RUN_ICCID = "89883070000000000017";

/**
 * Starts a mock cloud on an ephemeral loopback port, creates a Fleet (SMS Commands enabled) and an
 * active Super SIM, and the virtual modem of `family` holding it on a new pty.
 */
export async function startVirtualTarget(family: ModemFamily, options: VirtualTargetOptions = {}): Promise<HilTarget> {
  const cloud: CloudHandle = await startCloud({ port: 0 });
  let modem: ModemHandle | undefined;
  try {
    const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
    const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "HA00000000000000000000000000000000", smsCommandsEnabled: true });
    const reg = await client.supersim.v1.sims.create({ iccid: RUN_ICCID, registrationCode: "000000" });
    const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: `hil-${family}` });
    modem = await startModem({
      dialect: family,
      cloud: { url: cloud.url, sim: sim.sid, accountSid: cloud.accountSid, authToken: cloud.authToken },
      ptyHelper: options.ptyHelper,
    });
    const { imei, imsi, iccid } = modem.modem.state.identity;
    const m = modem;
    let closing: Promise<void> | undefined;
    return {
      label: "virtual",
      port: m.port,
      baudRate: DEFAULT_BAUD_RATE,
      network: { cloud, client, simSid: sim.sid, identity: { imei, imsi, iccid } },
      close() {
        closing ??= (async () => {
          try {
            await m.close();
          } finally {
            await cloud.close();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await modem?.close();
    await cloud.close();
    throw e;
  }
}
