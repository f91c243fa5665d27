/**
 * The phone numbers (MSISDNs) of the network's SIMs: mock-only state set through
 * `POST /_mock/sims/{sid|name}/msisdn` (docs/mock-network.md "Phone numbers"). A 2010 Message to such a
 * number goes to the SIM over the SMSC, and an SMS the SIM sends to a Messaging number of the account comes
 * from it. Kept across attach and detach, in memory (a restarted cloud forgets them, as it forgets
 * attachments).
 */
import type { EventBus } from "../events.js";

/** An E.164 phone number: '+', then 2 to 15 digits, no leading 0. */
export const E164 = /^\+[1-9]\d{1,14}$/;

/** The number belongs to another SIM. */
export class MsisdnTakenError extends Error {
  override name = "MsisdnTakenError";
  constructor(
    readonly msisdn: string,
    readonly simSid: string,
  ) {
    super(`${msisdn} is already the number of SIM ${simSid}`);
  }
}

export class PhoneNumbers {
  private readonly bySid = new Map<string, string>();
  private readonly byNumber = new Map<string, string>();

  constructor(private readonly events: EventBus) {}

  /** Gives the SIM `msisdn` (E.164), replacing its old one, or takes its number away (null). */
  set(sid: string, msisdn: string | null): void {
    if (msisdn !== null) {
      const other = this.byNumber.get(msisdn);
      if (other !== undefined && other !== sid) throw new MsisdnTakenError(msisdn, other);
    }
    const old = this.bySid.get(sid);
    if (old === msisdn || (old === undefined && msisdn === null)) return;
    if (old !== undefined) this.byNumber.delete(old);
    this.bySid.delete(sid);
    if (msisdn !== null) {
      this.byNumber.set(msisdn, sid);
      this.bySid.set(sid, msisdn);
    }
    this.events.emit("sim.msisdn", { sim_sid: sid, msisdn });
  }

  of(sid: string): string | null {
    return this.bySid.get(sid) ?? null;
  }

  sidOf(msisdn: string): string | undefined {
    return this.byNumber.get(msisdn);
  }
}
