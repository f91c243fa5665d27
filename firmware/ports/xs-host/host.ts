/**
 * What an xsnap bundle asks of its Node host (host-tools/runtimes/xs-child.ts) through xsnap's
 * synchronous `issueCommand`: JSON requests, JSON answers (protocol.ts). Shared by the xs-host entries.
 */
import type { KeyValueStore } from "../../hal/storage.js";
import type { HostCommand } from "./protocol.js";

declare const TextEncoder: { new (): { encode(s: string): { buffer: ArrayBuffer } } };
declare const TextDecoder: { new (): { decode(b: ArrayBuffer): string } };
/** xsnap: a synchronous request to the host. */
declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

/** One request to the host; its JSON answer. */
export function host(req: HostCommand): { [key: string]: unknown } {
  const reply = issueCommand(new TextEncoder().encode(JSON.stringify(req)).buffer);
  return JSON.parse(new TextDecoder().decode(reply)) as { [key: string]: unknown };
}

/** The HAL KeyValueStore served by the host (a JSON file, or memory). */
export const hostStore: KeyValueStore = {
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

/** A handleCommand answer. */
export function reply(value: unknown): ArrayBuffer {
  return new TextEncoder().encode(JSON.stringify(value)).buffer;
}

/** A handleCommand request. */
export function request(message: ArrayBuffer): { [key: string]: unknown } {
  return JSON.parse(new TextDecoder().decode(message)) as { [key: string]: unknown };
}
