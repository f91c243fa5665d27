/**
 * The bridge's reading of uplink payloads (host-tools/bridge/decode.ts): `decoded` for CBOR maps and arrays
 * through the firmware codec, and the agent's replies through the agent protocol's own parser — checked
 * against the agent's reply encoder (round trip) and against cbor-x, an independent CBOR implementation.
 */
import { describe, expect, test } from "@jest/globals";
import { Encoder } from "cbor-x";
import { Agent } from "../../firmware/agent/agent.js";
import { encodeCborReply, formatTextReply, parseReply, parseTextReply } from "../../firmware/agent/protocol.js";
import { utf16Text } from "../../firmware/core/text.js";
import { MemoryStore } from "../../firmware/hal/storage.js";
import { decodeCborPayload, readUplink } from "../../host-tools/bridge/decode.js";
import { int, rng } from "../helpers/random.js";

const peer = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const b64 = (hex: string) => Buffer.from(hex.replace(/\s/g, ""), "hex").toString("base64");

describe("decoded: CBOR maps and arrays (RFC 8949 appendix A examples and more)", () => {
  test.each<[string, string, unknown]>([
    ["empty array", "80", []],
    ["empty map", "a0", {}],
    ["array of integers", "83 01 02 03", [1, 2, 3]],
    ["nested arrays", "83 01 82 02 03 82 04 05", [1, [2, 3], [4, 5]]],
    ["map with text keys", "a2 61 61 01 61 62 82 02 03", { a: 1, b: [2, 3] }],
    ["map with integer keys → string keys", "a2 01 02 03 04", { "1": 2, "3": 4 }],
    ["negative integer key", "a1 20 61 78", { "-1": "x" }],
    ["byte string → base64", "a1 61 64 44 01 02 03 04", { d: Buffer.from([1, 2, 3, 4]).toString("base64") }],
    ["text beyond Latin-1", "81 63 e2 82 ac", ["€"]],
    ["simple values", "84 f4 f5 f6 f7", [false, true, null, null]],
    ["half, single and double floats", "83 f9 3c 00 fa 47 c3 50 00 fb 3f f1 99 99 99 99 99 9a", [1, 100000, 1.1]],
    ["non-finite floats → strings", "83 f9 7c 00 f9 fc 00 f9 7e 00", ["Infinity", "-Infinity", "NaN"]],
    ["64-bit integer within 2^53", "81 1b 00 1f ff ff ff ff ff ff", [9007199254740991]],
  ])("%s", (_name, hex, want) => {
    expect(readUplink(b64(hex), "binary").decoded).toEqual(want);
  });

  test.each<[string, string]>([
    ["a tag (the firmware codec reads none): tag 1 epoch time", "c1 1a 51 4b 67 b0"],
    ["a tag inside a map", "a1 61 74 c0 74 32 30 31 33 2d 30 33 2d 32 31 54 32 30 3a 30 34 3a 30 30 5a"],
    ["indefinite-length array", "9f 01 02 ff"],
    ["indefinite-length map", "bf 61 61 01 ff"],
    ["integer beyond 2^53", "81 1b 00 20 00 00 00 00 00 00"],
    ["a map key that is an array", "a1 80 01"],
    ["a map key __proto__", "a1 69 5f 5f 70 72 6f 74 6f 5f 5f a0"],
    ["text string that is not UTF-8", "81 62 c3 28"],
    ["truncated map", "a2 61 61 01"],
    ["trailing octets", "80 00"],
    ["reserved additional information", "9c"],
    ["a lone integer (not a map or array)", "18 2a"],
    ["a lone text string", "63 61 62 63"],
    ["empty payload", ""],
  ])("%s → no decoded, never an exception", (_name, hex) => {
    expect(readUplink(b64(hex), "binary").decoded).toBeUndefined();
  });

  test("nesting deeper than 32 → no decoded; 32 deep is fine", () => {
    const nest = (n: number) => Buffer.concat([Buffer.alloc(n, 0x81), Buffer.from([0x01])]);
    expect(decodeCborPayload(nest(32))).toBeDefined();
    expect(decodeCborPayload(nest(33))).toBeUndefined();
  });

  test("a container claiming 2^32 items does no work beyond its bytes", () => {
    expect(decodeCborPayload(Buffer.from("9affffffff", "hex"))).toBeUndefined();
    expect(decodeCborPayload(Buffer.from("bb00000000ffffffff", "hex"))).toBeUndefined();
  });

  test("500 random values encoded by cbor-x: decoded equals the value (byte strings as base64)", () => {
    const r = rng(20240610);
    const value = (depth: number): unknown => {
      const k = int(r, 0, depth > 3 ? 4 : 7);
      if (k === 0) return int(r, -1_000_000, 1_000_000);
      if (k === 1) return String.fromCodePoint(...Array.from({ length: int(r, 0, 8) }, () => int(r, 0x20, 0x2fff)));
      if (k === 2) return r() < 0.5;
      if (k === 3) return null;
      if (k === 4) return Buffer.from(Array.from({ length: int(r, 0, 6) }, () => int(r, 0, 255)));
      if (k === 5) return r() * 1000 - 500;
      if (k === 6) return Array.from({ length: int(r, 0, 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: int(r, 0, 4) }, (_, i) => [`k${i}${int(r, 0, 9)}`, value(depth + 1)]));
    };
    const json = (v: unknown): unknown =>
      Buffer.isBuffer(v) ? v.toString("base64") : Array.isArray(v) ? v.map(json) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, json(x)])) : v;
    for (let i = 0; i < 500; i++) {
      const v = r() < 0.5 ? [value(0)] : { v: value(0) };
      expect(readUplink(Buffer.from(peer.encode(v)).toString("base64"), "binary").decoded).toEqual(json(v));
    }
  });

  test("2,000 random and mutated payloads: readUplink never throws", () => {
    const r = rng(7);
    const seeds = [peer.encode({ i: "x", r: [1, "two", Buffer.from([3])] }), peer.encode([{ a: 1.5 }, null, true])];
    for (let i = 0; i < 2000; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) bytes = Buffer.from(Array.from({ length: int(r, 0, 40) }, () => int(r, 0, 255)));
      else {
        bytes = Buffer.from(seeds[i % seeds.length] as Uint8Array);
        for (let j = int(r, 1, 3); j > 0; j--) bytes[int(r, 0, bytes.length - 1)] = int(r, 0, 255);
      }
      expect(() => readUplink(bytes.toString("base64"), "binary")).not.toThrow();
    }
  });
});

describe("agent replies: parseReply is the inverse of the agent's reply encoder", () => {
  test.each<[string, boolean, string]>([
    ["42", true, "pong"],
    ["req-7", true, "hello  world"],
    ["HC" + "0123456789abcdef".repeat(2), false, "unknown command 'x'"],
    ["a", true, ""],
    ["b", false, ""],
    ["e", true, "Şişli € 😀"],
  ])("text %j ok=%j %j", (id, ok, body) => {
    const line = formatTextReply(id, ok, body);
    expect(parseTextReply(line)).toEqual({ id, ok, value: body });
    expect(parseTextReply(line + "\r\n")).toEqual({ id, ok, value: body });
    expect(parseReply("text", [...Buffer.from(line, "utf8")], utf16Text)).toEqual({ id, ok, value: body });
  });

  test.each<[string, boolean, unknown]>([
    ["c1", true, "pong"],
    ["c2", true, { version: "0.1.0", uptime: 5 }],
    ["c3", false, "no such key"],
    ["c4", true, [1, [2, 3]]],
  ])("CBOR %j ok=%j %j", (id, ok, body) => {
    const bytes = encodeCborReply(id, ok, body as never, utf16Text);
    expect(parseReply("cbor", bytes, utf16Text)).toEqual({ id, ok, value: body });
    const up = readUplink(Buffer.from(bytes).toString("base64"), "binary");
    expect(up.reply).toEqual({ id, ok, value: body });
    expect(up.decoded).toEqual({ i: id, [ok ? "r" : "e"]: body });
  });

  test("what the agent itself answers is read back: text over IP, text as SMS, CBOR", () => {
    const agent = new Agent({ storage: new MemoryStore(), clock: { now: () => 0 }, text: utf16Text, info: { version: "0.1.0", runtime: "node", modem: "bg96" } });
    const ip = agent.handle({ transport: "ip", bytes: [...Buffer.from("r1 echo hi there")] });
    expect(readUplink(Buffer.from(ip.bytes ?? []).toString("base64"), "binary").reply).toEqual({ id: "r1", ok: true, value: "hi there" });
    const sms = agent.handle({ transport: "sms", text: "r2 frobnicate" });
    expect(readUplink(sms.text ?? "", "text").reply).toEqual({ id: "r2", ok: false, value: "unknown command 'frobnicate'" });
    const cb = agent.handle({ transport: "ip", bytes: [...peer.encode({ i: 7, c: "ping" })] });
    expect(readUplink(Buffer.from(cb.bytes ?? []).toString("base64"), "binary").reply).toEqual({ id: "7", ok: true, value: "pong" });
  });

  test.each<[string, string]>([
    ["no id", "ok pong"],
    ["a word that is not ok or err", "42 okay"],
    ["two spaces", "42  ok pong"],
    ["tab after the id", "42\tok pong"],
    ["id longer than 64", "x".repeat(65) + " ok"],
    ["empty", ""],
  ])("text that is not a reply: %s", (_name, text) => {
    expect(parseTextReply(text)).toBeNull();
    expect(readUplink(text, "text").reply).toBeNull();
  });

  test.each<[string, unknown]>([
    ["both r and e", { i: "a", r: 1, e: 2 }],
    ["neither", { i: "a" }],
    ["no id", { r: 1 }],
    ["id of another type", { i: [1], r: 1 }],
    ["an array", ["a", "r"]],
  ])("CBOR that is not a reply: %s (still decoded)", (_name, v) => {
    const up = readUplink(Buffer.from(peer.encode(v)).toString("base64"), "binary");
    expect(up.reply).toBeNull();
    expect(up.decoded).toEqual(v);
  });

  test("binary text that is not UTF-8 is neither decoded nor a reply", () => {
    expect(readUplink(Buffer.from([0x34, 0x32, 0x20, 0x6f, 0x6b, 0x20, 0xff]).toString("base64"), "binary")).toEqual({ reply: null });
  });
});
