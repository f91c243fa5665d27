/**
 * XS PDU bundle (dist/firmware/xs/pdu.js), a script for xsnap (Moddable's XS engine as a child process; it has no console or timers). It defines the
 * global `handleCommand(ArrayBuffer) → ArrayBuffer` that xsnap calls for each issueCommand:
 * the request is UTF-8 JSON, `{ op: "decode"|"encode"|"encodeSubmit"|"text", items: [...] }`
 * (answer: a JSON array, one result per item) or a single `{ pdu, smsc?, direction? }` (answer:
 * one object); see ../shared/pdu-service.ts. Text is UTF-16 (utf16Text). Never throws: an
 * uncaught exception would end the worker.
 */
import { utf16Text } from "../../core/text.js";
import { runRequest } from "../shared/pdu-service.js";

/* xsnap globals (declared here, not globally, so Node's own typings do not clash). */
declare const TextEncoder: { new (): { encode(s: string): { buffer: ArrayBuffer } } };
declare const TextDecoder: { new (): { decode(b: ArrayBuffer): string } };

function reply(value: unknown): ArrayBuffer {
  return new TextEncoder().encode(JSON.stringify(value)).buffer;
}

export default function handleCommand(message: ArrayBuffer): ArrayBuffer {
  let req: unknown;
  try {
    req = JSON.parse(new TextDecoder().decode(message));
  } catch {
    return reply({ error: { code: "invalid-request", message: "the request is not JSON" } });
  }
  try {
    return reply(runRequest(req, utf16Text, null, { now: Date.now }));
  } catch (e) {
    return reply({ error: { code: "internal", message: String(e) } });
  }
}
