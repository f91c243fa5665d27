/**
 * The device agent on Moddable (ESP32 with the Moddable SDK): answers IP Commands arriving on a
 * UDP socket of the board's own IP stack (ECMA-419 `embedded:io/socket/udp`) and remembers
 * executed ids in Preference. Settings come from the manifest's `config` (mc/config):
 *
 *   devicePort  UDP port for IP Commands. Default 6969.
 *   moHost      where replies go: Super SIM's 100.64.0.1. Default "100.64.0.1".
 *   moPort      its port. Default: devicePort.
 *   version     what `info` reports. Default "0.1.0".
 *
 * Over a cellular modem the UDP socket is the modem's (AT engine + firmware/modems driver), not
 * the ESP32's: see docs/agent.md.
 */
import UDP from "embedded:io/socket/udp";
import config from "mc/config";
import { Agent } from "../../agent/agent.js";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST } from "../../core/limits.js";
import { utf16Text } from "../../core/text.js";
import { preferenceStore, timerClock } from "./hal.js";

function setting(name: string, fallback: number): number {
  const v = config[name];
  return typeof v === "number" ? v : typeof v === "string" && v !== "" ? parseInt(v, 10) : fallback;
}

const devicePort = setting("devicePort", DEFAULT_DEVICE_PORT);
const moPort = setting("moPort", devicePort);
const moHost = typeof config["moHost"] === "string" ? (config["moHost"] as string) : DEFAULT_MO_HOST;

const agent = new Agent({
  storage: preferenceStore(),
  clock: timerClock(),
  text: utf16Text,
  info: { version: typeof config["version"] === "string" ? (config["version"] as string) : "0.1.0", runtime: "moddable", modem: "none" },
});

new UDP({
  port: devicePort,
  onReadable(packets: number) {
    for (let i = 0; i < packets; i++) {
      const packet = new Uint8Array(this.read());
      const bytes: number[] = [];
      for (let j = 0; j < packet.length; j++) bytes.push(packet[j] as number);
      const reply = agent.handle({ transport: "ip", bytes: bytes });
      if (reply.bytes !== undefined && reply.bytes.length > 0) this.write(Uint8Array.from(reply.bytes), moHost, moPort);
    }
  },
});
