/**
 * The device agent for Espruino (dist/firmware/espruino/agent.js): loaded as a plain script it
 * defines the global `simcmdAgent` with `start(config)`. HAL: Espruino's `dgram` for the IP
 * Command socket and `Storage` for the record of executed ids (survives a reset). Strings are
 * 8-bit on Espruino, so text travels as UTF-8 byte strings (utf8Text).
 *
 *   var agent = simcmdAgent.start({ devicePort: 6969, mo: { host: "100.64.0.1", port: 6969 } });
 *   agent.stop();
 *
 * Settings not given to start() come from the JSON file `simcmd.json` in Storage, when present
 * (the same keys: devicePort, mo, version, modem, maxIds).
 */
import { Agent } from "../../agent/agent.js";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST } from "../../core/limits.js";
import { utf8Text } from "../../core/text.js";
import { storageOf, type Storage } from "./hal.js";

interface DgramSocket {
  on(event: "message", cb: (msg: string, info: { address: string; port: number }) => void): void;
  bind(port: number, cb: () => void): void;
  send(msg: string, offset: number, length: number, port: number, address: string): void;
  close(): void;
}
interface Dgram {
  createSocket(type: string): DgramSocket;
}
declare function require(name: "dgram"): Dgram;
declare function require(name: "Storage"): Storage;
declare function getTime(): number;

export interface AgentConfig {
  /** UDP port for IP Commands. Default DEFAULT_DEVICE_PORT (core/limits.ts). */
  devicePort?: number;
  /** Where replies go: Super SIM's commands address and a port. Default DEFAULT_MO_HOST : DEFAULT_DEVICE_PORT (core/limits.ts). */
  mo?: { host: string; port: number };
  /** What `info` reports. Default version "0.1.0", modem "none". */
  version?: string;
  modem?: string;
  /** Executed ids remembered. Default 16. */
  maxIds?: number;
}


function toBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  return out;
}

function fromBytes(b: number[]): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** start()'s settings over those of `simcmd.json` in Storage. */
function settings(given: AgentConfig | undefined, st: Storage): AgentConfig {
  const stored = st.readJSON("simcmd.json", true);
  const out: AgentConfig = {};
  const file = typeof stored === "object" && stored !== null ? (stored as AgentConfig) : {};
  const g = given !== undefined ? given : {};
  out.devicePort = g.devicePort !== undefined ? g.devicePort : file.devicePort;
  out.mo = g.mo !== undefined ? g.mo : file.mo;
  out.version = g.version !== undefined ? g.version : file.version;
  out.modem = g.modem !== undefined ? g.modem : file.modem;
  out.maxIds = g.maxIds !== undefined ? g.maxIds : file.maxIds;
  return out;
}

export function start(given?: AgentConfig): { stop: () => void } {
  const st = require("Storage");
  const config = settings(given, st);
  const port = config.devicePort !== undefined ? config.devicePort : DEFAULT_DEVICE_PORT;
  const mo = config.mo !== undefined ? config.mo : { host: DEFAULT_MO_HOST, port: DEFAULT_DEVICE_PORT };
  const agent = new Agent({
    storage: storageOf(st),
    clock: { now: function (): number { return Math.floor(getTime() * 1000); } },
    text: utf8Text,
    info: { version: config.version !== undefined ? config.version : "0.1.0", runtime: "espruino", modem: config.modem !== undefined ? config.modem : "none" },
    maxIds: config.maxIds,
  });
  const socket = require("dgram").createSocket("udp4");
  socket.on("message", function (msg: string) {
    const reply = agent.handle({ transport: "ip", bytes: toBytes(msg) });
    const out = fromBytes(reply.bytes !== undefined ? reply.bytes : []);
    if (out.length > 0) socket.send(out, 0, out.length, mo.port, mo.host);
  });
  socket.bind(port, function () {});
  return {
    stop: function (): void {
      socket.close();
    },
  };
}
