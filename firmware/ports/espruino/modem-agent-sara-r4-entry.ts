/**
 * dist/firmware/espruino/modem-agent-sara-r4.js: the modem agent (modem-agent.ts) with the u-blox SARA-R4 / R5
 * driver alone. Defines the global `simcmdModemAgent`:
 *
 *   simcmdModemAgent.start({ serial: Serial2, apn: "super" })   → { stop(), status() }
 */
import { saraR4 } from "../../modems/sara-r4.js";
import { startWith, type ModemAgentSettings, type StartedModemAgent } from "./modem-agent.js";

export function start(s: ModemAgentSettings): StartedModemAgent {
  return startWith("sara-r4", saraR4, s);
}
