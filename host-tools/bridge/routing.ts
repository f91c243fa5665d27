/**
 * The routing policy of downlinks, in one place. For each platform:
 * - the transports it offers, the first being the default (`TRANSPORTS`);
 * - what a request becomes there (`planSend`): the transport, the payload type it may take (binary never by
 *   Messaging nor by Super SIM SMS Commands), the size it may have (`sizeProblem`), the command text (a text
 *   command goes as `<id> <command>`, so the agent's reply names the request), the Huawei command
 *   `{serviceId, method, paras}` and the Messaging From number;
 * - the address it knows a device by (`addressOf`) and which device names are phone numbers (Messaging);
 * - the webhook its status callbacks come back to (`callbackPath`, the paths webhooks.ts serves);
 * - which of its errors says the device does not exist (`isUnknownDevice`).
 * Which platform serves a device is asked of the platforms themselves (platforms.ts `resolve`).
 */
import { MAX_IP_PAYLOAD, MAX_SMS_OCTETS } from "../../firmware/core/limits.js";
import { encodeSubmit } from "../pdu/index.js";
import { Rejection, type DownRequest, type HuaweiCommand } from "./down-request.js";
import type { PlatformError } from "./platforms.js";
import type { Platform } from "./uplink.js";

export type Transport = "ip" | "sms" | "nbiot";

export const TRANSPORTS: Readonly<Record<Platform, readonly Transport[]>> = {
  "twilio-supersim": ["ip", "sms"],
  "twilio-wireless": ["sms"],
  "twilio-messaging": ["sms"],
  huawei: ["nbiot"],
};

/** The webhooks the bridge serves (webhooks.ts), by the platform resource whose events come to them. */
export const WEBHOOK_PATHS = {
  ipCommands: "/webhooks/twilio/ip-commands",
  smsCommands: "/webhooks/twilio/sms-commands",
  wirelessCommands: "/webhooks/twilio/commands",
  messages: "/webhooks/twilio/messages",
  huawei: "/webhooks/huawei/cmd",
} as const;

const CALLBACK_PATH: Readonly<Record<string, string>> = {
  "twilio-supersim:ip": WEBHOOK_PATHS.ipCommands,
  "twilio-supersim:sms": WEBHOOK_PATHS.smsCommands,
  "twilio-wireless:sms": WEBHOOK_PATHS.wirelessCommands,
  "twilio-messaging:sms": WEBHOOK_PATHS.messages,
  "huawei:nbiot": WEBHOOK_PATHS.huawei,
};

/** Where the status callbacks of a downlink sent by `transport` on `platform` come back (a path of the bridge). */
export function callbackPath(platform: Platform, transport: Transport): string {
  return CALLBACK_PATH[`${platform}:${transport}`] as string;
}

/** A device named by 6 to 15 digits is a phone number (E.164 without `+`, as topic levels take it): Messaging. */
export function isPhoneDevice(device: string): boolean {
  return /^\d{6,15}$/.test(device);
}

/** The address `platform` knows `device` by: the SIM SID (Super SIM, Wireless), `+` and the number (Messaging), the deviceId (Huawei). */
export function addressOf(platform: Platform, device: string, simSid: string | null): string {
  if (platform === "twilio-messaging") return "+" + device;
  if (platform === "huawei") return device;
  return simSid ?? device;
}

/** True when `err` (from `platform`) says the device does not exist there: Huawei's 100418. */
export function isUnknownDevice(platform: string, err: PlatformError): boolean {
  return platform === "huawei" && err.code === "100418";
}

function fitsOneSms(text: string): boolean {
  try {
    return encodeSubmit({ to: "000", text, includeSmsc: false, maxParts: 1 }).length === 1;
  } catch {
    return false;
  }
}

/** Why `payload` cannot go over `transport` on `platform` (null when it fits). */
export function sizeProblem(platform: Platform, transport: Transport, payload: string, type: "text" | "binary"): string | null {
  const bytes = type === "binary" ? Buffer.from(payload, "base64").length : Buffer.byteLength(payload, "utf8");
  if (transport === "ip") return bytes > MAX_IP_PAYLOAD ? `payload is ${bytes} bytes; an IP Command carries at most ${MAX_IP_PAYLOAD}` : null;
  if (platform === "twilio-messaging") return [...payload].length > 1600 ? "a Messaging SMS body is at most 1600 characters" : null;
  if (platform === "huawei") return bytes > 1024 ? `command is ${bytes} bytes; at most 1024 for NB-IoT` : null;
  if (type === "binary") return bytes > MAX_SMS_OCTETS ? `payload is ${bytes} bytes; a binary SMS carries at most ${MAX_SMS_OCTETS}` : null;
  return fitsOneSms(payload) ? null : "payload does not fit one SMS (160 GSM 7-bit characters or 70 UCS2 characters, id included)";
}

/** What of the bridge's configuration the plan reads. */
export interface RoutingConfig {
  huawei: { serviceId: string };
  /** Device (phone number without +) → From number or Messaging Service SID. */
  messagingDeviceFrom: Record<string, string>;
  messagingFrom?: string;
}

/** A request as it goes to its platform. */
export interface SendPlan {
  transport: Transport;
  payload: string;
  payloadType: "text" | "binary";
  huawei?: HuaweiCommand;
  /** Messaging: From number or Messaging Service SID. */
  from?: string;
}

/**
 * What request `id` for `device` on `platform` becomes there; throws Rejection (wrong_transport, bad_request,
 * oversized, no_from) when it cannot go.
 */
export function planSend(req: DownRequest, id: string, device: string, platform: Platform, cfg: RoutingConfig): SendPlan {
  const offered = TRANSPORTS[platform];
  const transport = req.transport ?? (offered[0] as Transport);
  if (!offered.includes(transport)) throw new Rejection("wrong_transport", `${device} is a ${platform} device: transport ${offered.join(" or ")}, not ${transport}`);
  const payloadType = req.payload_type ?? "text";
  if (payloadType === "binary" && (platform === "twilio-messaging" || (platform === "twilio-supersim" && transport === "sms")))
    throw new Rejection("wrong_transport", `binary payloads cannot go by ${platform} ${transport}`);
  let huawei: HuaweiCommand | undefined;
  let payload = req.payload ?? "";
  if (req.command !== undefined) {
    if (typeof req.command === "object") {
      if (platform !== "huawei") throw new Rejection("bad_request", "an object command is for Huawei devices only");
      huawei = req.command;
      payload = JSON.stringify(req.command);
    } else {
      payload = `${id} ${req.command}`;
      if (platform === "huawei") {
        // a text command on Huawei: its first word is the method, the rest the arguments
        const [method, ...args] = req.command.trim().split(/\s+/);
        huawei = { serviceId: cfg.huawei.serviceId, method: method as string, paras: { id, args: args.join(" ") } };
      }
    }
  } else if (platform === "huawei") {
    huawei = { serviceId: cfg.huawei.serviceId, method: "raw", paras: { id, payload, payload_type: payloadType } };
  }
  const tooBig = sizeProblem(platform, transport, payload, payloadType);
  if (tooBig) throw new Rejection("oversized", tooBig);
  const plan: SendPlan = { transport, payload, payloadType };
  if (huawei !== undefined) plan.huawei = huawei;
  if (platform === "twilio-messaging") {
    // one Twilio number per phone: the request's own, else the device's, else the bridge's
    const from = req.from ?? cfg.messagingDeviceFrom[device] ?? cfg.messagingFrom;
    if (from === undefined) throw new Rejection("no_from", `no From number for ${device}: give from in the request, or configure messagingDeviceFrom or messagingFrom`);
    plan.from = from;
  } else if (req.from !== undefined) throw new Rejection("bad_request", `from is for Messaging downlinks (phone numbers); ${device} is a ${platform} device`);
  return plan;
}
