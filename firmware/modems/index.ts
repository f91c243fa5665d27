/**
 * Modem drivers (docs/modems.md): `createModem(family, engine, options)` picks the family at run
 * time. Each driver is one object per capability (capabilities.ts) over the AT engine
 * (firmware/at), which it never opens: the engine, and the serial and clock under it, are injected.
 * A firmware build for one family imports that family's driver function (`bg96`, `sim7080`,
 * `saraR4`, each a ModemDriver) instead of this module, so it carries no other family's code.
 */
import type { AtEngine, Clock } from "../at/index.js";
import { bg96 } from "./bg96.js";
import type { Modem, ModemFamily, ModemOptions } from "./capabilities.js";
import { saraR4 } from "./sara-r4.js";
import { sim7080 } from "./sim7080.js";
import { settings, type Settings } from "./steps.js";

export type * from "./capabilities.js";
export { Generic3gpp, parseRegistration, statName, type FamilySteps } from "./generic-3gpp.js";
export { bg96 } from "./bg96.js";
export { sim7080 } from "./sim7080.js";
export { saraR4 } from "./sara-r4.js";
export { settings, type Settings } from "./steps.js";
export { PduSms } from "./sms-pdu.js";
export { Bg96Udp, qiurcLength, qirdLength, BG96_MAX_READ, BG96_MAX_SEND } from "./bg96.js";
export { Sim7080Udp, carecvLength, caurcLength, SIM7080_MAX_READ, SIM7080_MAX_SEND } from "./sim7080.js";
export { SaraR4Udp, parseUsorf, SARA_MAX_HEX } from "./sara-r4.js";
export {
  DEFAULT_APN,
  DEFAULT_BOOT_TIMEOUT,
  DEFAULT_DATA_TIMEOUT,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_REASSEMBLY_TIMEOUT,
  DEFAULT_REGISTRATION_TIMEOUT,
  DEFAULT_SMS_TIMEOUT,
} from "./steps.js";

/** The families createModem knows (core/limits.ts), for validation and help texts. */
export { MODEM_FAMILIES } from "../core/limits.js";

/** ModemOptions plus the clock the drivers poll and time out with (the engine's clock). Required. */
export interface CreateModemOptions extends ModemOptions {
  clock: Clock;
}

/** One family's driver: its capabilities over `engine`, with every option's default applied (`settings`). */
export type ModemDriver = (engine: AtEngine, clock: Clock, s: Settings) => Modem;

/** The driver of `family`. Throws TypeError for an unknown family. */
export function modemDriver(family: ModemFamily): ModemDriver {
  switch (family) {
    case "bg96":
      return bg96;
    case "sim7080":
      return sim7080;
    case "sara-r4":
      return saraR4;
    default:
      throw new TypeError('unknown modem family "' + String(family) + '" (bg96, sim7080 or sara-r4)');
  }
}

/** A driver for `family` on `engine`. Throws TypeError for an unknown family or a bad option. */
export function createModem(family: ModemFamily, engine: AtEngine, options: CreateModemOptions): Modem {
  if (options === undefined || options === null || options.clock === undefined) throw new TypeError('"clock" is required');
  const s = settings(options);
  return modemDriver(family)(engine, options.clock, s);
}
