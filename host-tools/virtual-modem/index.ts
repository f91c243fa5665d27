/**
 * The virtual modem (`simcmd modem`): a modem emulator on a real pseudo-terminal, attached to the mock
 * network. `startModem` opens the pty, attaches, and resolves once a serial client can open `port`.
 */
import { CloudLink, type CloudLinkOptions, type NetworkLink } from "../device-host/network-link.js";
import { openPty, type PtyPair } from "./pty.js";
import type { DialectName } from "./types.js";
import { VirtualModem, type VirtualModemOptions } from "./virtual-modem.js";

export { VirtualModem, type VirtualModemOptions } from "./virtual-modem.js";
export { openPty, PtyUnavailableError, type PtyPair, type PtyOptions } from "./pty.js";
export { CloudLink, StaticLink, CloudError, type AttachInfo, type AttachRequest, type NetworkLink } from "../device-host/network-link.js";
export { Faults, type FaultCommand } from "./faults.js";
export { DIALECTS, type DialectName } from "./types.js";

export interface StartModemOptions extends Omit<VirtualModemOptions, "network"> {
  dialect: DialectName;
  /** Attach through the mock cloud's admin route… */
  cloud?: CloudLinkOptions;
  /** …or through this link (a test playing the network). */
  network?: NetworkLink;
  /** Which pty helper to use (default: socat, else python3). */
  ptyHelper?: "auto" | "socat" | "python3";
}

export interface ModemHandle {
  /** The slave device for serial clients, e.g. /dev/pts/7. */
  port: string;
  /** A symlink to `port` in a private temporary directory. */
  link: string;
  dialect: DialectName;
  modem: VirtualModem;
  pty: PtyPair;
  /** Detaches, frees the UDP sockets and ends the pty helper. */
  close(): Promise<void>;
}

export async function startModem(options: StartModemOptions): Promise<ModemHandle> {
  const network = options.network ?? (options.cloud !== undefined ? new CloudLink(options.cloud) : undefined);
  if (network === undefined) throw new Error("startModem needs `cloud` or `network`");
  const modem = new VirtualModem({ ...options, network });
  let pty: PtyPair | undefined;
  try {
    await modem.start();
    pty = await openPty({ helper: options.ptyHelper });
  } catch (e) {
    await modem.close();
    throw e;
  }
  modem.connect(pty.stream);
  const p = pty;
  let closing: Promise<void> | undefined;
  return {
    port: p.path,
    link: p.link,
    dialect: options.dialect,
    modem,
    pty: p,
    close() {
      closing ??= (async () => {
        await modem.close();
        await p.close();
      })();
      return closing;
    },
  };
}
