/**
 * The one home of the MQTT topic rules for what the bridge publishes and reads.
 *
 * A device name comes from platform data (a SIM's unique name, a Huawei deviceId, a phone number) and is
 * one topic level. The broker must never see it raw: a `/` would add levels, `+` and `#` are forbidden in a
 * PUBLISH topic (OASIS MQTT 3.1.1 §3.3.2.1 [MQTT-3.3.2-2], 5.0 §3.3.2.1), U+0000 is forbidden in any MQTT
 * string [MQTT-1.5.3-2] and control characters and non-characters may make the broker close the connection
 * (MQTT 3.1.1 §1.5.3, 5.0 §1.5.4). So `deviceLevel` percent-encodes (UTF-8 bytes, `%2F`) exactly `%`, `/`,
 * `+`, `#`, the C0 and C1 controls, DEL and the non-characters; everything else is kept as is. The encoding is
 * one-to-one: `parseDeviceLevel` turns a level back into the name, and refuses a level that is not the
 * encoding of any name (so a topic maps to at most one device and back).
 *
 *   deviceLevel("a/+/#")            // → "a%2F%2B%2F%23"
 *   parseDeviceLevel("a%2F%2B%2F%23") // → "a/+/#"
 *
 * `topicProblem` checks a whole topic name before it goes to the outbox: UTF-8 length ≤ 65,535 bytes
 * (MQTT 3.1.1 §1.5.3 and §4.7.3 [MQTT-4.7.3-3]), no wildcard, no U+0000, no lone surrogate.
 */

/** A device level longer than this (bytes, encoded) is refused: the whole topic must stay far below 65,535. */
export const MAX_DEVICE_LEVEL_BYTES = 1024;
const MAX_TOPIC_BYTES = 65_535;

export class TopicError extends Error {
  override name = "TopicError";
}

/** Characters `deviceLevel` encodes: `%` `/` `+` `#`, C0, DEL, C1, and the non-characters of the BMP. */
// eslint-disable-next-line no-control-regex
const ENCODE = /[%/+#\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff]|[\ud83f\ud87f\ud8bf\ud8ff\ud93f\ud97f\ud9bf\ud9ff\uda3f\uda7f\udabf\udaff\udb3f\udb7f\udbbf\udbff][\udffe\udfff]/g;
/** A surrogate that is not half of a pair: no UTF-8 encoding exists. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The topic level of a device name (throws TopicError for an empty name, a lone surrogate, or one too long). */
export function deviceLevel(name: string): string {
  if (name === "") throw new TopicError("the device name is empty");
  if (LONE_SURROGATE.test(name)) throw new TopicError("the device name is not valid Unicode (a lone surrogate)");
  const level = name.replace(ENCODE, encodeURIComponent);
  if (Buffer.byteLength(level, "utf8") > MAX_DEVICE_LEVEL_BYTES) throw new TopicError(`the device name is longer than ${MAX_DEVICE_LEVEL_BYTES} bytes as a topic level`);
  return level;
}

/** The device name of a topic level, or null when the level is not what `deviceLevel` makes of any name. */
export function parseDeviceLevel(level: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(level);
  } catch {
    return null;
  }
  try {
    return deviceLevel(name) === level ? name : null;
  } catch {
    return null;
  }
}

/** Why `topic` cannot be published (null when it can). */
export function topicProblem(topic: string): string | null {
  if (topic === "") return "empty topic";
  if (/[+#]/.test(topic)) return "wildcard character in a topic name";
  if (topic.includes("\u0000")) return "U+0000 in a topic name";
  if (LONE_SURROGATE.test(topic)) return "a lone surrogate in a topic name (not UTF-8)";
  const bytes = Buffer.byteLength(topic, "utf8");
  if (bytes > MAX_TOPIC_BYTES) return `topic name of ${bytes} bytes; at most ${MAX_TOPIC_BYTES}`;
  return null;
}

/** `{prefix}/devices/{device level}/{rest}`. */
export function deviceTopic(prefix: string, device: string, rest: string): string {
  return `${prefix}/devices/${deviceLevel(device)}/${rest}`;
}
