/**
 * The Moddable modem firmware (../moddable/modem-main.ts with its hal.ts and uart.ts) as an xsnap
 * script, dist/firmware/xs/moddable-modem.js: its Moddable modules are moddable-apis.ts, served by
 * the Node host (host-tools/runtimes/xs-child.ts, `--serial <tty>`). The CI runs the board's entry
 * this way; the Moddable SDK itself is a by-hand check (scripts/moddable-lin.js).
 *
 * Requests from the host (handleCommand, JSON):
 *   {op: "init", config: {…}}   the manifest's config (mc/config), then Moddable's start-up call of
 *                               the entry's default export → {ok: true}. Its trace lines arrive as
 *                               `{op: "event", event: "log", message}` (`simcmd: state ready`, …).
 *   {op: "serial", hex}          bytes from the tty                       → {ok: true}
 *   {op: "timer", id}            a timer fired                           → {ok: true}
 */
import main from "../moddable/modem-main.js";
import { config, fireTimer, receiveSerial } from "./moddable-apis.js";
import { reply, request } from "./host.js";

let started = false;

function run(req: { [key: string]: unknown }): object {
  const op = req["op"];
  if (op === "init") {
    if (started) return { error: { code: "already-initialised", message: "init was sent before" } };
    const c = req["config"];
    if (c === null || typeof c !== "object") return { error: { code: "invalid-request", message: "config must be an object" } };
    const settings = c as { [key: string]: unknown };
    for (const k in settings) config[k] = settings[k];
    started = true;
    main();
    return { ok: true };
  }
  if (op === "serial" && typeof req["hex"] === "string") {
    receiveSerial(req["hex"] as string);
    return { ok: true };
  }
  if (op === "timer" && typeof req["id"] === "number") {
    fireTimer(req["id"] as number);
    return { ok: true };
  }
  return { error: { code: "invalid-request", message: "op must be init, serial or timer" } };
}

export default function handleCommand(message: ArrayBuffer): ArrayBuffer {
  try {
    return reply(run(request(message)));
  } catch (e) {
    return reply({ error: { code: "internal", message: String(e) } });
  }
}
