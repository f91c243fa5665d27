/**
 * The device agent as an xsnap script (dist/firmware/xs/agent.js): what `simcmd device --runtime xs`
 * and `simcmd dev` run, so end-to-end tests exercise the code that ships. The Node host owns the
 * sockets (UDP, or a modem on a pty) and hands payloads in; persistent storage is served by the
 * host through `issueCommand` (host-tools/runtimes/xs-child.js). Never throws: an uncaught
 * exception would end the worker.
 *
 * Requests (JSON, one per handleCommand):
 *   {op: "init", info: {version, runtime, modem}, maxIds?}             → {ok: true}
 *   {op: "ip", hex}                   an IP Command payload             → {hex, executed}
 *   {op: "sms", tpdu}                 an SMS-DELIVER TPDU (bare, hex)   → {report, replies: [TPDU hex…], executed}
 *     `report` is the SMS-DELIVER-REPORT (RP-ACK) to send back at once; `replies` are SMS-SUBMIT TPDUs
 *     to the originator (2936 / 000), empty while a concatenated message is incomplete.
 */
import type { KeyValueStore } from "../../hal/storage.js";
import { utf16Text } from "../../core/text.js";
import { createAgentService } from "../shared/agent-service.js";

declare const TextEncoder: { new (): { encode(s: string): { buffer: ArrayBuffer } } };
declare const TextDecoder: { new (): { decode(b: ArrayBuffer): string } };
/** xsnap: a synchronous request to the host (answered by host-tools/runtimes/xs-child.js). */
declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function host(req: object): { [key: string]: unknown } {
  const reply = issueCommand(new TextEncoder().encode(JSON.stringify(req)).buffer);
  return JSON.parse(new TextDecoder().decode(reply)) as { [key: string]: unknown };
}

const hostStore: KeyValueStore = {
  get: function (key: string): string | undefined {
    const v = host({ op: "storage.get", key: key })["value"];
    return typeof v === "string" ? v : undefined;
  },
  set: function (key: string, value: string): void {
    host({ op: "storage.set", key: key, value: value });
  },
  remove: function (key: string): void {
    host({ op: "storage.remove", key: key });
  },
};

const service = createAgentService(hostStore, Date.now, utf16Text);

function reply(value: unknown): ArrayBuffer {
  return new TextEncoder().encode(JSON.stringify(value)).buffer;
}

export default function handleCommand(message: ArrayBuffer): ArrayBuffer {
  try {
    return reply(service.run(JSON.parse(new TextDecoder().decode(message)) as { [key: string]: unknown }));
  } catch (e) {
    return reply({ error: { code: "internal", message: String(e) } });
  }
}
