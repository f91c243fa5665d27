/**
 * The device agent as an xsnap script (dist/firmware/xs/agent.js): what `simcmd device --runtime xs`
 * and `simcmd dev` run, so end-to-end tests exercise the code that ships. The Node host owns the
 * sockets (UDP, or a modem on a pty) and hands payloads in; persistent storage is served by the
 * host through `issueCommand` (host-tools/runtimes/xs-child.ts). Never throws: an uncaught
 * exception would end the worker.
 *
 * Requests (JSON, one per handleCommand):
 *   {op: "init", info: {version, runtime, modem}, maxIds?}             → {ok: true}
 *   {op: "ip", hex}                   an IP Command payload             → {hex, executed}
 *   {op: "sms", tpdu}                 an SMS-DELIVER TPDU (bare, hex)   → {report, replies: [TPDU hex…], executed}
 *     `report` is the SMS-DELIVER-REPORT (RP-ACK) to send back at once; `replies` are SMS-SUBMIT TPDUs
 *     to the originator (2936 / 000), empty while a concatenated message is incomplete.
 */
import { utf16Text } from "../../core/text.js";
import { createAgentService } from "../shared/agent-service.js";
import { hostStore, reply, request } from "./host.js";

const service = createAgentService(hostStore, { now: Date.now }, utf16Text);

export default function handleCommand(message: ArrayBuffer): ArrayBuffer {
  try {
    return reply(service.run(request(message)));
  } catch (e) {
    return reply({ error: { code: "internal", message: String(e) } });
  }
}
