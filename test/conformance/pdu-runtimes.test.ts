/**
 * Smoke test of the PDU codec in every runtime: PDUs built by the Node codec decode to the same
 * object in XS, Lua and the Espruino bundle, and encodeSubmit gives the same hex everywhere.
 * (Fixture-driven conformance lives beside this file.)
 */
import { decodePdu, encodeSubmit, type SubmitOptions } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { LuaRuntime } from "../../host-tools/runtimes/lua.js";
import { XsRuntime } from "../../host-tools/runtimes/xs.js";
import { fromUtf8Bytes, loadEspruinoBundle, toUtf8Bytes } from "./espruino-vm.js";

const SUBMITS: SubmitOptions[] = [
  { to: "+31612345678", text: "How are you?", smsc: "+31624000000" },
  { to: "+31612345678", text: "Şükrü € 日本語 😀" },
  { to: "0612345678", text: "x".repeat(200), statusReport: true, validityMinutes: 90, ref: 7 },
  { to: "+447700900123", dataHex: "00FF10AB", alphabet: "8bit" },
  { to: "+447700900123", text: "€".repeat(80), alphabet: "ucs2" },
];
const DELIVERS = ["07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"];

function partsOf(o: SubmitOptions): string[] {
  const r = encodeSubmit(o, utf16Text);
  if (!r.ok) throw new Error(r.error.message);
  return r.parts;
}

/** Every string in a value, UTF-8 bytes → Unicode (Espruino results). */
function fromBytesDeep(v: unknown): unknown {
  if (typeof v === "string") return fromUtf8Bytes(v);
  if (Array.isArray(v)) return v.map(fromBytesDeep);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromBytesDeep(x)]));
  }
  return v;
}

const hexes = [...DELIVERS, ...SUBMITS.flatMap(partsOf)];
const nodeDecoded = hexes.map((hex) => {
  const r = decodePdu(hex, { smsc: true, direction: "auto", text: utf16Text });
  return r.ok ? JSON.parse(JSON.stringify(r.pdu)) : { error: { code: r.error.code, message: r.error.message } };
});

let xs: XsRuntime;
let lua: LuaRuntime;

beforeAll(async () => {
  [xs, lua] = await Promise.all([XsRuntime.start(), LuaRuntime.start()]);
});

afterAll(async () => {
  await Promise.all([xs?.close(), lua?.close()]);
});

test("the Node codec decodes every sample", () => {
  expect(hexes.length).toBe(8);
  for (const d of nodeDecoded) expect(d).not.toHaveProperty("error");
});

test("XS decodes like Node", async () => {
  expect(await xs.request({ op: "decode", items: hexes })).toEqual(nodeDecoded);
});

test("Lua decodes like Node", async () => {
  expect(await lua.request({ op: "decode", items: hexes })).toEqual(nodeDecoded);
});

test("Espruino decodes like Node (text as UTF-8 bytes)", () => {
  const pdu = loadEspruinoBundle();
  expect(hexes.map((h) => fromBytesDeep(pdu.decode(h)))).toEqual(nodeDecoded);
});

test("encodeSubmit gives the same parts everywhere", async () => {
  const expected = SUBMITS.map((o) => ({ parts: partsOf(o) }));
  expect(await xs.request({ op: "encodeSubmit", items: SUBMITS })).toEqual(expected);
  expect(await lua.request({ op: "encodeSubmit", items: SUBMITS })).toEqual(expected);
  const pdu = loadEspruinoBundle();
  const asBytes = SUBMITS.map((o) => (o.text === undefined ? o : { ...o, text: toUtf8Bytes(o.text) }));
  expect(asBytes.map((o) => pdu.encodeSubmit(o))).toEqual(expected);
});

test("encode(decode(x)) gives x back in XS and Lua", async () => {
  const items = nodeDecoded.map((pdu) => ({ pdu, smsc: true }));
  const expected = hexes.map((hex) => ({ hex }));
  expect(await xs.request({ op: "encode", items })).toEqual(expected);
  expect(await lua.request({ op: "encode", items })).toEqual(expected);
});

test("a single §7 --jsonl line and errors", async () => {
  const line = { pdu: hexes[1]!.slice(16), smsc: false, direction: "mo" };
  const viaXs = (await xs.request(line)) as Record<string, unknown>;
  expect(viaXs).toMatchObject({ type: "submit", smsc: null });
  expect(await lua.request(line)).toEqual(viaXs);
  const bad = { op: "decode", items: ["0791", "ZZ", 5] };
  const xsErr = (await xs.request(bad)) as unknown[];
  expect(await lua.request(bad)).toEqual(xsErr);
  expect(xsErr.every((r) => typeof r === "object" && r !== null && "error" in r)).toBe(true);
});
