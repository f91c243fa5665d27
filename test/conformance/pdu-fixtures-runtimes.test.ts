/**
 * The whole fixture table (with the constructed PDUs read with warnings) on every runtime: the
 * firmware decoder and encoder inside XS (xsnap), Lua 5.3 and the Espruino bundle give exactly what
 * they give on Node — same objects, same warnings, same errors, same octets.
 */
import { decodePdu, encodePdu, type Pdu } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { LuaRuntime } from "../../host-tools/runtimes/lua.js";
import { XsRuntime } from "../../host-tools/runtimes/xs.js";
import { LENIENT } from "../fixtures/pdu-lenient.js";
import { ENCODABLE, VECTORS as REAL } from "../fixtures/vectors.js";
import { fromUtf8Bytes, loadEspruinoBundle, toUtf8Bytes } from "./espruino-vm.js";

type Out = Record<string, unknown>;

const VECTORS = [...REAL, ...LENIENT];

const decodeItems = VECTORS.map((v) => ({ pdu: v.pdu, smsc: v.smsc, direction: v.direction }));

/** Node's answers, as JSON (undefined fields dropped), in the ports' error shape. */
const nodeDecoded: Out[] = VECTORS.map((v) => {
  const r = decodePdu(v.pdu, { smsc: v.smsc, direction: v.direction, text: utf16Text });
  return JSON.parse(JSON.stringify(r.ok ? r.pdu : { error: { code: r.error.code, message: r.error.message } }));
});

const encodeCases = VECTORS.flatMap((v, i) => {
  const d = nodeDecoded[i] as Out;
  return d.error === undefined && ENCODABLE.has(d.type as string) ? [{ id: v.id, pdu: d, smsc: v.smsc }] : [];
});
const nodeEncoded: Out[] = encodeCases.map((c) => {
  const r = encodePdu(c.pdu as unknown as Pdu, { smsc: c.smsc, text: utf16Text });
  return r.ok ? { hex: r.hex } : { error: { code: r.error.code, message: r.error.message } };
});

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

function allBytes(v: unknown): boolean {
  if (typeof v === "string") return [...v].every((c) => c.charCodeAt(0) <= 0xff);
  if (Array.isArray(v)) return v.every(allBytes);
  if (v !== null && typeof v === "object") return Object.values(v).every(allBytes);
  return true;
}

/** Compares per vector so a failure names the vector. */
function expectSame(label: string, got: unknown, want: Out[], ids: string[]): void {
  expect(Array.isArray(got)).toBe(true);
  const g = got as unknown[];
  expect(g).toHaveLength(want.length);
  const mismatches = ids.filter((_id, i) => JSON.stringify(sortKeys(g[i])) !== JSON.stringify(sortKeys(want[i])));
  if (mismatches.length > 0) {
    const i = ids.indexOf(mismatches[0] as string);
    throw new Error(`${label}: ${mismatches.length} vectors differ from Node, first ${mismatches[0]}:\n got ${JSON.stringify(g[i])}\nwant ${JSON.stringify(want[i])}`);
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Out)[k])]));
  }
  return v;
}

const ids = VECTORS.map((v) => v.id);
const encIds = encodeCases.map((c) => c.id);

describe.each([
  ["XS (xsnap)", () => XsRuntime.start()],
  ["Lua 5.3", () => LuaRuntime.start()],
])("%s", (label, start) => {
  let rt: XsRuntime | LuaRuntime;
  beforeAll(async () => {
    rt = await start();
  });
  afterAll(async () => {
    await rt?.close();
  });

  test(`decodes all ${VECTORS.length} fixtures exactly as Node does`, async () => {
    expectSame(label, await rt.request({ op: "decode", items: decodeItems }), nodeDecoded, ids);
  });

  test("re-encodes every decoded fixture to Node's octets", async () => {
    const items = encodeCases.map((c) => ({ pdu: c.pdu, smsc: c.smsc }));
    expectSame(label, await rt.request({ op: "encode", items }), nodeEncoded, encIds);
  });
});

describe("Espruino bundle", () => {
  const pdu = loadEspruinoBundle();
  const decoded = decodeItems.map((d) => pdu.decode(d.pdu, { smsc: d.smsc, direction: d.direction }));

  test("every string it returns is a byte string (Espruino strings are 8-bit)", () => {
    expect(decoded.every(allBytes)).toBe(true);
    expect(decoded.some((d) => typeof d.text === "string" && [...(d.text as string)].some((c) => c.charCodeAt(0) >= 0x80))).toBe(true);
  });

  test(`decodes all ${VECTORS.length} fixtures as Node does, text as UTF-8 bytes`, () => {
    expectSame("Espruino", decoded.map((d) => mapStrings(d, fromUtf8Bytes)), nodeDecoded, ids);
  });

  test("re-encodes every decoded fixture to Node's octets", () => {
    const got = encodeCases.map((c) => pdu.encode(mapStrings(c.pdu, toUtf8Bytes), { smsc: c.smsc }));
    expectSame("Espruino", got, nodeEncoded, encIds);
  });
});
