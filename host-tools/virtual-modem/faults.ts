/**
 * Faults on demand: lost registration, ERROR replies, slow responses, URCs inside a response,
 * garbage bytes on the line, SMS storage full. Used through `modem.faults` (tests, the CLI's
 * flags and its stdin control channel).
 */
import type { Urc } from "./types.js";
import type { VirtualModem } from "./virtual-modem.js";

/** What the control channel takes, one JSON object per line (see `simcmd modem --help`). */
export type FaultCommand =
  | { fault: "lose-registration" }
  | { fault: "restore-registration" }
  | { fault: "error-next"; count?: number }
  | { fault: "delay"; ms: number }
  | { fault: "urc-mid-response"; urc: string }
  | { fault: "garbage"; hex?: string }
  | { fault: "storage-full"; on?: boolean }
  | { fault: "clear" };

const DEFAULT_GARBAGE = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x7f, 0x80, 0x41, 0x54, 0x0d, 0xc3, 0x28, 0x0a]);

export class Faults {
  private errorsLeft = 0;
  private midUrcs: Urc[] = [];
  /** Delay before every response, in milliseconds. */
  delayMs = 0;
  /** Every SMS storage reports itself full. */
  storageFull = false;

  constructor(private readonly modem: VirtualModem) {}

  /** The network drops the modem: registration state 0 and the URCs that AT+CREG/CGREG/CEREG=n asked for. */
  loseRegistration(): void {
    this.modem.state.setRegistration(0);
  }

  /** Registered again (roaming, as a Super SIM is). */
  restoreRegistration(): void {
    this.modem.state.setRegistration(this.modem.state.identity.homeStat);
  }

  /** The next `count` command lines are answered with ERROR. */
  errorNext(count = 1): void {
    this.errorsLeft += count;
  }

  /** The next response carries these URCs after its first information line (before the final code when it has none). */
  urcMidResponse(...urcs: Urc[]): void {
    this.midUrcs.push(...urcs);
  }

  /** Writes bytes that are no valid response (default: NUL, 0xFF, a lone CR/LF, broken UTF-8…) right now. */
  garbage(bytes: Buffer = DEFAULT_GARBAGE): void {
    this.modem.write(bytes);
  }

  clear(): void {
    this.errorsLeft = 0;
    this.midUrcs = [];
    this.delayMs = 0;
    this.storageFull = false;
  }

  /** Applies one control-channel command. Throws on an unknown one. */
  apply(c: FaultCommand): void {
    switch (c.fault) {
      case "lose-registration":
        return this.loseRegistration();
      case "restore-registration":
        return this.restoreRegistration();
      case "error-next":
        return this.errorNext(c.count ?? 1);
      case "delay":
        this.delayMs = c.ms;
        return;
      case "urc-mid-response":
        return this.urcMidResponse(c.urc);
      case "garbage":
        return this.garbage(c.hex !== undefined ? Buffer.from(c.hex, "hex") : undefined);
      case "storage-full":
        this.storageFull = c.on !== false;
        return;
      case "clear":
        return this.clear();
      default:
        throw new Error(`unknown fault ${JSON.stringify(c)}`);
    }
  }

  /** @internal true when this command line must fail. */
  takeError(): boolean {
    if (this.errorsLeft <= 0) return false;
    this.errorsLeft--;
    return true;
  }

  /** @internal */
  takeMidResponseUrcs(): Urc[] {
    const u = this.midUrcs;
    this.midUrcs = [];
    return u;
  }

  /** @internal waits delayMs (slow responses). */
  pause(): Promise<void> {
    return this.delayMs > 0 ? new Promise((r) => setTimeout(r, this.delayMs)) : Promise.resolve();
  }
}
