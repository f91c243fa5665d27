/** The firmware CBOR codec against cbor-x (the reference implementation on npm), both directions. */
import { Decoder, Encoder } from "cbor-x";
import { CborBytes, decodeCbor, encodeCbor, type CborValue } from "../../firmware/core/cbor.js";
import { utf16Text } from "../../firmware/core/text.js";
import { int, rng } from "../helpers/random.js";

const ref = new Encoder({ useRecords: false, mapsAsObjects: true });
const refDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** A random value of the subset, with byte strings as CborBytes. */
function randomValue(r: () => number, depth: number): CborValue {
  const k = int(r, 0, depth > 3 ? 5 : 8);
  switch (k) {
    case 0: return int(r, 0, 1) === 0 ? int(r, 0, 30) : int(r, 0, 2 ** 40);
    case 1: return -int(r, 1, 2 ** 33);
    case 2: return r() * 1e6 - 5e5;
    case 3: return String.fromCodePoint(...Array.from({ length: int(r, 0, 20) }, () => [0x41, 0xe9, 0x20ac, 0x1f600, 0x4e2d][int(r, 0, 4)] as number));
    case 4: return [true, false, null][int(r, 0, 2)] as CborValue;
    case 5: return new CborBytes(Array.from({ length: int(r, 0, 30) }, () => int(r, 0, 255)));
    case 6:
    case 7: return Array.from({ length: int(r, 0, 5) }, () => randomValue(r, depth + 1));
    default: {
      const m: Record<string, CborValue> = {};
      for (let i = int(r, 0, 5); i > 0; i--) m["k" + int(r, 0, 99)] = randomValue(r, depth + 1);
      return m;
    }
  }
}

/** cbor-x's view of a value: byte strings as Uint8Array. */
function toRef(v: CborValue): unknown {
  if (v instanceof CborBytes) return Buffer.from(v.bytes); // a Uint8Array would get cbor-x's typed-array tag (RFC 8746)
  if (Array.isArray(v)) return v.map(toRef);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toRef(x)]));
  return v;
}

/** cbor-x reads every 8-octet integer as a BigInt; the values here fit a number. */
function numbers(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(numbers);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numbers(x)]));
  return v;
}

test("1,000 random values: ours → cbor-x and cbor-x → ours give the same value", () => {
  const r = rng(8949);
  for (let i = 0; i < 1000; i++) {
    const v = randomValue(r, 0);
    const ours = encodeCbor(v, utf16Text);
    if (!ours.ok) throw new Error(ours.error.message);
    expect(numbers(refDecoder.decode(Buffer.from(ours.bytes)))).toEqual(toRef(v));
    const theirs = decodeCbor([...ref.encode(toRef(v))], utf16Text, undefined);
    if (!theirs.ok) throw new Error(`${theirs.error.code}: ${theirs.error.message}`);
    expect(theirs.value).toEqual(v);
  }
});

test("RFC 8949 Appendix A examples decode", () => {
  const cases: [string, unknown][] = [
    ["00", 0], ["17", 23], ["1818", 24], ["1903e8", 1000], ["1a000f4240", 1000000], ["1b000000e8d4a51000", 1000000000000],
    ["20", -1], ["3903e7", -1000], ["f90000", 0], ["f93c00", 1], ["f9c400", -4], ["fa47c35000", 100000], ["fb3ff199999999999a", 1.1],
    ["f97c00", Infinity], ["f4", false], ["f5", true], ["f6", null], ["f7", undefined], ["6161", "a"], ["6449455446", "IETF"],
    ["62c3bc", "ü"], ["64f0908591", "𐅑"], ["83010203", [1, 2, 3]], ["a201020304", { "1": 2, "3": 4 }], ["a26161016162820203", { a: 1, b: [2, 3] }],
  ];
  for (const [hex, want] of cases) {
    const r = decodeCbor([...Buffer.from(hex, "hex")], utf16Text, undefined);
    expect(r).toEqual({ ok: true, value: want });
  }
});

test.each([
  ["", "incomplete", "truncated"],
  ["1a0000", "incomplete", "truncated"],
  ["63616263ff", "malformed", "cbor-trailing"],
  ["9f01ff", "malformed", "cbor-unsupported"],
  ["c11a514b67b0", "malformed", "cbor-unsupported"],
  ["1c", "malformed", "cbor-invalid"],
  ["62c328", "malformed", "cbor-invalid"],
  ["62c080", "malformed", "cbor-invalid"], // overlong UTF-8 (RFC 3629 §3)
  ["63eda080", "malformed", "cbor-invalid"], // a UTF-16 surrogate encoded in UTF-8
  ["61c3", "malformed", "cbor-invalid"], // ends inside a sequence
  ["a1f601", "malformed", "cbor-invalid"],
  ["81".repeat(40) + "00", "malformed", "cbor-too-deep"],
  ["9b0000000100000000", "malformed", "cbor-too-large"],
  ["a1695f5f70726f746f5f5f01", "malformed", "cbor-invalid"],
])("bad input %s → %s %s", (hex, kind, code) => {
  const r = decodeCbor([...Buffer.from(hex, "hex")], utf16Text, undefined);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatchObject({ kind, code });
});

test("random octets never throw", () => {
  const r = rng(3);
  for (let i = 0; i < 5000; i++) {
    const bytes = Array.from({ length: int(r, 0, 40) }, () => int(r, 0, 255));
    const res = decodeCbor(bytes, utf16Text, undefined);
    if (!res.ok) expect(["incomplete", "malformed"]).toContain(res.error.kind);
  }
});

test("maps are encoded deterministically: keys sorted by encoded bytes (RFC 8949 §4.2.1)", () => {
  const r = encodeCbor({ r: "pong", i: "c1", aa: 1, b: 2 }, utf16Text);
  expect(r.ok && Buffer.from(r.bytes).toString("hex")).toBe(Buffer.from(
    "a4" + "6162" + "02" + "6169" + "626331" + "6172" + "64706f6e67" + "626161" + "01", "hex").toString("hex"));
});
