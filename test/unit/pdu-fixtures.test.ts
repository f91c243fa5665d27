/** The fixture table on Node: decode against each source's expectations, exact re-encode, round trip. */
import { decodePdu as decodeCore, encodePdu as encodeCore, type Pdu } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { ENCODABLE, NON_CANONICAL, repaired, VECTORS, type Vector } from "../fixtures/vectors.js";

function decode(v: Vector) {
  return decodeCore(v.pdu, { smsc: v.smsc, direction: v.direction, text: utf16Text });
}

/** The decoded fields an encoder is given back; what decode derives or reports is left out. */
function semantic(p: Pdu): Partial<Pdu> {
  const { warnings: _w, ...rest } = p;
  return rest;
}

/** What a repaired PDU says, without the length fields and TP-UDHI the encoder writes anew. */
function content(p: Pdu): Partial<Pdu> {
  const { warnings: _w, udl: _l, first_octet: _f, ...rest } = p;
  return rest;
}

const good = VECTORS.filter((v) => v.expect.error === undefined);
const bad = VECTORS.filter((v) => v.expect.error !== undefined);

describe("fixture table", () => {
  test("holds at least 150 real vectors with unique ids and a source each", () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(VECTORS.map((v) => v.id)).size).toBe(VECTORS.length);
    for (const v of VECTORS) expect(v.source.length).toBeGreaterThan(10);
  });

  test("covers every message type, alphabet and UDH kind", () => {
    const decoded = good.map((v) => decode(v)).flatMap((r) => (r.ok ? [r.pdu] : []));
    const count = (f: (p: Pdu) => boolean) => decoded.filter(f).length;
    expect(count((p) => p.type === "deliver")).toBeGreaterThanOrEqual(30);
    expect(count((p) => p.type === "submit")).toBeGreaterThanOrEqual(30);
    expect(count((p) => p.type === "status-report")).toBeGreaterThanOrEqual(15);
    expect(count((p) => p.dcs_info?.alphabet === "ucs2")).toBeGreaterThanOrEqual(10);
    expect(count((p) => p.dcs_info?.alphabet === "8bit")).toBeGreaterThanOrEqual(5);
    expect(count((p) => p.udh?.concat?.ref_bits === 8)).toBeGreaterThanOrEqual(3);
    expect(count((p) => p.udh?.concat?.ref_bits === 16)).toBeGreaterThanOrEqual(1);
    expect(count((p) => p.udh?.ports !== undefined)).toBeGreaterThanOrEqual(2);
    expect(bad.length).toBeGreaterThanOrEqual(10);
  });
});

describe.each(good.map((v) => [v.id, v] as const))("%s", (_id, v) => {
  const r = decode(v);

  test("decodes to what its source asserts", () => {
    if (!r.ok) throw new Error(`${v.id}: ${r.error.code}: ${r.error.message} (${v.source})`);
    expect(r.pdu).toMatchObject(v.expect);
  });

  if (r.ok && ENCODABLE.has(r.pdu.type) && repaired(r.pdu.warnings)) {
    const pdu = r.pdu;
    test("re-encodes what it could read as a valid TPDU (no warnings, same content)", () => {
      const e = encodeCore(pdu, { smsc: v.smsc, text: utf16Text });
      if (!e.ok) throw new Error(`${v.id}: encode failed: ${e.error.code}: ${e.error.message}`);
      const again = decodeCore(e.hex, { smsc: v.smsc, direction: v.direction, text: utf16Text });
      if (!again.ok) throw new Error(`${v.id}: the re-encoded PDU does not decode: ${again.error.message}`);
      expect(again.pdu.warnings).toBeUndefined();
      expect(content(again.pdu)).toEqual(content(pdu));
    });
  } else if (r.ok && ENCODABLE.has(r.pdu.type)) {
    const pdu = r.pdu;
    test(NON_CANONICAL[v.id] === undefined ? "re-encodes to the same octets" : "round-trips (not canonical: " + NON_CANONICAL[v.id] + ")", () => {
      const e = encodeCore(pdu, { smsc: v.smsc, text: utf16Text });
      if (!e.ok) throw new Error(`${v.id}: encode failed: ${e.error.code}: ${e.error.message}`);
      if (NON_CANONICAL[v.id] === undefined) expect(e.hex).toBe(v.pdu.toUpperCase());
      const again = decodeCore(e.hex, { smsc: v.smsc, direction: v.direction, text: utf16Text });
      expect(again.ok && semantic(again.pdu)).toEqual(semantic(pdu));
    });
  }
});

describe.each(bad.map((v) => [v.id, v] as const))("%s (error vector)", (_id, v) => {
  test(`fails as ${v.expect.error}`, () => {
    const r = decode(v);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe(v.expect.error);
      expect(r.error.code).not.toBe("internal");
    }
  });
});
