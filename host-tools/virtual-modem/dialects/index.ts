/** The three modem families, chosen by name. */
import type { Dialect, DialectName } from "../types.js";
import type { VirtualModem } from "../virtual-modem.js";
import { bg96 } from "./bg96.js";
import { saraR4 } from "./sara-r4.js";
import { sim7080 } from "./sim7080.js";

export function createDialect(name: DialectName, modem: VirtualModem): Dialect {
  switch (name) {
    case "bg96":
      return bg96(modem);
    case "sim7080":
      return sim7080(modem);
    case "sara-r4":
      return saraR4(modem);
    default:
      throw new Error(`unknown dialect '${String(name)}' (bg96, sim7080 or sara-r4)`);
  }
}
