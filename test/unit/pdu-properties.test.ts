/**
 * Property and fuzz tests of the codec (issue: "random and mutated PDUs never throw anything but
 * the codec's own errors; encode → decode round-trips for random text in every alphabet").
 */
import { decodePdu as decodeCore } from "../../firmware/core/pdu/index.js";
import { GSM7_DEFAULT, GSM7_DEFAULT_EXT, lockingShiftTable, singleShiftTable } from "../../firmware/core/gsm7-tables.js";
import { utf16Text } from "../../firmware/core/text.js";
import { decodePdu, encodeSubmit, PduDecodeError, Reassembler } from "../../host-tools/pdu/index.js";
import { hexOf, int, rng } from "../helpers/random.js";

const DIRECTIONS = ["mt", "mo", "auto"] as const;

function decodeAny(hex: string, smsc: boolean, direction: "mt" | "mo" | "auto") {
  return decodeCore(hex, { smsc, direction, text: utf16Text });
}

describe("fuzz: random octets", () => {
  test("5,000 random PDUs decode or fail with the codec's own typed errors", () => {
    const r = rng(0x5eed);
    const codes = new Set<string>();
    const warned = new Set<string>();
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = Array.from({ length: int(r, 0, 180) }, () => int(r, 0, 255));
      // Bias towards plausible PDUs: a small SMSC length octet half of the time.
      if (bytes.length > 0 && r() < 0.5) bytes[0] = int(r, 0, 8);
      const hex = hexOf(bytes);
      for (const direction of DIRECTIONS) {
        for (const smsc of [true, false]) {
          const res = decodeAny(hex, smsc, direction);
          if (res.ok) {
            ok++;
            // warnings are typed findings inside the input, never an empty list
            const ws = res.pdu.warnings;
            if (ws !== undefined) expect(ws.length).toBeGreaterThan(0);
            for (const w of ws ?? []) {
              expect(typeof w.code).toBe("string");
              expect(w.offset).toBeGreaterThanOrEqual(0);
              expect(w.offset).toBeLessThanOrEqual(bytes.length);
              warned.add(w.code);
            }
            continue;
          }
          expect(["incomplete", "malformed"]).toContain(res.error.kind);
          expect(res.error.code).not.toBe("internal");
          expect(res.error.offset).toBeGreaterThanOrEqual(0);
          expect(res.error.offset).toBeLessThanOrEqual(bytes.length);
          codes.add(res.error.code);
        }
      }
    }
    expect(ok).toBeGreaterThan(100); // the generator does reach valid PDUs
    expect(codes.has("truncated")).toBe(true);
    expect(warned.has("trailing-octets")).toBe(true); // and PDUs read with warnings
  });

  test("every prefix of a valid PDU is 'incomplete', never malformed or thrown", () => {
    const full = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
    for (let n = 0; n < full.length; n += 2) {
      const res = decodeAny(full.slice(0, n), true, "auto");
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).toMatchObject({ kind: "incomplete", code: "truncated" });
    }
  });

  test("the host API throws only PduDecodeError / PduIncompleteError", () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const hex = hexOf(Array.from({ length: int(r, 0, 60) }, () => int(r, 0, 255)));
      try {
        decodePdu(hex);
      } catch (e) {
        expect(e).toBeInstanceOf(PduDecodeError);
        expect(["PduDecodeError", "PduIncompleteError"]).toContain((e as Error).name);
      }
    }
  });
});

function charsOf(table: number[] | undefined): number[] {
  return (table ?? []).filter((cp) => cp >= 0);
}

function randomText(r: () => number, pool: number[], n: number): string {
  return String.fromCodePoint(...Array.from({ length: n }, () => pool[int(r, 0, pool.length - 1)] as number));
}

function roundTrip(text: string, options: Parameters<typeof encodeSubmit>[0], seed: number): void {
  const parts = encodeSubmit(options);
  const re = new Reassembler({});
  let whole: string | undefined;
  // Deliver the parts out of order, with a duplicate, to exercise reassembly too.
  const order = parts.map((_, i) => i).reverse();
  if (parts.length > 1) order.push(0);
  for (const i of order) {
    const pdu = decodePdu(parts[i] as string);
    expect(pdu.type).toBe("submit");
    const done = re.add(pdu, 0, []);
    if (done !== null) whole = done.text;
  }
  if (whole !== text) throw new Error(`round trip failed (seed ${seed}): ${JSON.stringify(text)} → ${JSON.stringify(whole)}`);
}

describe("round trip: random text in every alphabet", () => {
  const gsm = [...charsOf(GSM7_DEFAULT), ...charsOf(GSM7_DEFAULT_EXT)];
  test.each([
    ["GSM 7-bit default + extension", gsm, { alphabet: "gsm7" as const }],
    ["UCS2 (BMP and astral)", [0x41, 0x20ac, 0x4e2d, 0x0416, 0x1f600, 0x1f680, 0x10348, 0xe9, 0x5d0], { alphabet: "ucs2" as const }],
    ["Turkish shift tables", [...charsOf(lockingShiftTable(1)), ...charsOf(singleShiftTable(1))], { language: 1 }],
    ["Spanish single shift", [...charsOf(GSM7_DEFAULT), ...charsOf(singleShiftTable(2))], { language: 2 }],
    ["Portuguese shift tables", [...charsOf(lockingShiftTable(3)), ...charsOf(singleShiftTable(3))], { language: 3 }],
  ])("%s", (_name, pool, extra) => {
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const text = randomText(r, pool, int(r, 0, 400));
      roundTrip(text, { to: "+31612345678", text, ref: seed & 0xff, concat16: seed % 2 === 0, ...extra }, seed);
    }
  });

  test("auto alphabet picks GSM 7-bit, a national table, or UCS2 and always round-trips", () => {
    const pool = [0x41, 0x20ac, 0x7b, 0x15e, 0x11f, 0xe7, 0xea, 0x4e2d, 0x1f600, 0x40, 0x0a];
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed * 31);
      const text = randomText(r, pool, int(r, 1, 300));
      roundTrip(text, { to: "2936", text, ref: seed & 0xff }, seed);
    }
  });

  test("8-bit data of every length up to 1,200 octets", () => {
    const r = rng(99);
    for (let n = 0; n <= 1200; n += 37) {
      const hex = hexOf(Array.from({ length: n }, () => int(r, 0, 255)));
      const parts = encodeSubmit({ to: "000", dataHex: hex, ref: 5 });
      const got = parts.map((p) => decodePdu(p).data_hex).join("");
      expect(got).toBe(hex);
    }
  });
});

test("decodePdu reuses no state between calls: a truncated PDU after a long one is still truncated", () => {
  const long = encodeSubmit({ to: "+31612345678", text: "x".repeat(150) })[0] as string;
  const short = long.slice(0, 40);
  expect(decodePdu(long).text).toBe("x".repeat(150));
  expect(() => decodePdu(short)).toThrow(expect.objectContaining({ name: "PduIncompleteError", code: "truncated" }));
  // And a PDU longer than the host's scratch buffer takes the portable path with the same result.
  expect(() => decodePdu("00".repeat(1500))).toThrow(PduDecodeError);
});
