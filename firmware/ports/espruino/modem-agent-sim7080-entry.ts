/**
 * dist/firmware/espruino/modem-agent-sim7080.js: the modem agent (modem-agent.ts) with the SIMCom SIM7080G
 * driver alone. Defines the global `simcmdModemAgent`:
 *
 *   simcmdModemAgent.start({ serial: Serial2, apn: "super" })   → { stop(), status() }
 */
import { sim7080 } from "../../modems/sim7080.js";
import { startWith, type ModemAgentSettings, type StartedModemAgent } from "./modem-agent.js";

export function start(s: ModemAgentSettings): StartedModemAgent {
  return startWith("sim7080", sim7080, s);
}
