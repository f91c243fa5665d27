/**
 * dist/firmware/espruino/modem-agent-bg96.js: the modem agent (modem-agent.ts) with the Quectel BG96 / BG95
 * driver alone. Defines the global `simcmdModemAgent`:
 *
 *   simcmdModemAgent.start({ serial: Serial2, apn: "super" })   → { stop(), status() }
 */
import { bg96 } from "../../modems/bg96.js";
import { startWith, type ModemAgentSettings, type StartedModemAgent } from "./modem-agent.js";

export function start(s: ModemAgentSettings): StartedModemAgent {
  return startWith("bg96", bg96, s);
}
