import {
  GSM7_DEFAULT,
  GSM7_DEFAULT_EXT,
  NATIONAL_LANGUAGES,
  lockingShiftTable,
  singleShiftTable,
} from "../../firmware/core/gsm7-tables.js";

function table(t: number[] | undefined): number[] {
  if (t === undefined) throw new Error("table missing");
  return t;
}

const TURKISH_LOCKING = table(lockingShiftTable(1));
const PORTUGUESE_LOCKING = table(lockingShiftTable(3));
const TURKISH_SINGLE = table(singleShiftTable(1));
const SPANISH_SINGLE = table(singleShiftTable(2));
const PORTUGUESE_SINGLE = table(singleShiftTable(3));

const ALL: [string, number[]][] = [
  ["default (6.2.1)", GSM7_DEFAULT],
  ["default extension (6.2.1.1)", GSM7_DEFAULT_EXT],
  ["Turkish locking (A.3.1)", TURKISH_LOCKING],
  ["Portuguese locking (A.3.3)", PORTUGUESE_LOCKING],
  ["Turkish single shift (A.2.1)", TURKISH_SINGLE],
  ["Spanish single shift (A.2.2)", SPANISH_SINGLE],
  ["Portuguese single shift (A.2.3)", PORTUGUESE_SINGLE],
];
const LOCKING: number[][] = [GSM7_DEFAULT, TURKISH_LOCKING, PORTUGUESE_LOCKING];
const SHIFT: number[][] = [GSM7_DEFAULT_EXT, TURKISH_SINGLE, SPANISH_SINGLE, PORTUGUESE_SINGLE];

/** Code point of a one-character string. */
function cp(s: string): number {
  return s.codePointAt(0) as number;
}

/** Checks entries given as [septet, expected character or code point]. */
function expectEntries(t: number[], entries: [number, string | number][]): void {
  for (const [septet, want] of entries) {
    const code = typeof want === "string" ? cp(want) : want;
    expect({ septet, code: t[septet] }).toEqual({ septet, code });
  }
}

describe("GSM 7-bit tables: shape", () => {
  test.each(ALL)("%s has 128 integer entries, each -1 or a code point", (_name, t) => {
    expect(t.length).toBe(128);
    for (let i = 0; i < t.length; i++) {
      const v = t[i] as number;
      expect(Number.isInteger(v)).toBe(true);
      expect(v === -1 || (v >= 0 && v <= 0x10ffff)).toBe(true);
    }
  });

  test.each(ALL)("%s has no duplicate code points (except -1)", (_name, t) => {
    const seen: number[] = [];
    for (let i = 0; i < t.length; i++) {
      const v = t[i] as number;
      if (v === -1) continue;
      expect({ septet: i, dup: seen.indexOf(v) >= 0 }).toEqual({ septet: i, dup: false });
      seen.push(v);
    }
  });

  test("0x1B (escape) is -1 in every table", () => {
    for (const [, t] of ALL) expect(t[0x1b]).toBe(-1);
  });

  test("locking shift tables: every other septet is a character; LF 0x0A, CR 0x0D, SP 0x20", () => {
    for (const t of LOCKING) {
      for (let i = 0; i < 128; i++) if (i !== 0x1b) expect(t[i]).not.toBe(-1);
      expectEntries(t, [[0x0a, 0x0a], [0x0d, 0x0d], [0x20, " "]]);
    }
  });

  test("single shift tables: 0x0A is form feed, 0x0D (CR2) is -1, common extension characters present", () => {
    for (const t of SHIFT) {
      expectEntries(t, [
        [0x0a, 0x0c], [0x0d, -1], [0x14, "^"], [0x28, "{"], [0x29, "}"], [0x2f, "\\"],
        [0x3c, "["], [0x3d, "~"], [0x3e, "]"], [0x40, "|"], [0x65, "€"],
      ]);
    }
  });
});

describe("GSM 7-bit tables: spot checks", () => {
  test("default alphabet (6.2.1)", () => {
    expectEntries(GSM7_DEFAULT, [
      [0x00, "@"], [0x01, "£"], [0x02, "$"], [0x03, "¥"], [0x04, "è"], [0x07, "ì"], [0x09, "Ç"],
      [0x0b, "Ø"], [0x0e, "Å"], [0x10, "Δ"], [0x11, "_"], [0x15, "Ω"], [0x1a, "Ξ"], [0x1c, "Æ"],
      [0x1e, "ß"], [0x1f, "É"], [0x24, "¤"], [0x40, "¡"], [0x41, "A"], [0x5b, "Ä"], [0x5d, "Ñ"],
      [0x5f, "§"], [0x60, "¿"], [0x61, "a"], [0x7b, "ä"], [0x7f, "à"],
    ]);
    expect(GSM7_DEFAULT[0x10]).toBe(0x0394); // GREEK CAPITAL LETTER DELTA, not U+2206
    expect(GSM7_DEFAULT[0x15]).toBe(0x03a9); // GREEK CAPITAL LETTER OMEGA, not U+2126
  });

  test("default extension table (6.2.1.1) defines exactly 10 entries", () => {
    expectEntries(GSM7_DEFAULT_EXT, [
      [0x65, "€"], [0x14, "^"], [0x28, "{"], [0x29, "}"], [0x2f, "\\"], [0x3c, "["],
      [0x3d, "~"], [0x3e, "]"], [0x40, "|"], [0x0a, 0x0c],
    ]);
    let defined = 0;
    for (let i = 0; i < 128; i++) if (GSM7_DEFAULT_EXT[i] !== -1) defined++;
    expect(defined).toBe(10);
  });

  test("Turkish locking shift (A.3.1)", () => {
    expectEntries(TURKISH_LOCKING, [
      [0x04, "€"], [0x07, "ı"], [0x0b, "Ğ"], [0x0c, "ğ"], [0x1c, "Ş"], [0x1d, "ş"],
      [0x40, "İ"], [0x60, "ç"], [0x00, "@"], [0x09, "Ç"], [0x24, "¤"], [0x5f, "§"],
    ]);
    // Everything else equals the default alphabet.
    const changed = [0x04, 0x07, 0x0b, 0x0c, 0x1c, 0x1d, 0x40, 0x60];
    for (let i = 0; i < 128; i++) {
      if (changed.indexOf(i) < 0) expect({ i, v: TURKISH_LOCKING[i] }).toEqual({ i, v: GSM7_DEFAULT[i] });
    }
  });

  test("Turkish single shift (A.2.1)", () => {
    expectEntries(TURKISH_SINGLE, [
      [0x47, "Ğ"], [0x49, "İ"], [0x53, "Ş"], [0x63, "ç"], [0x65, "€"], [0x67, "ğ"],
      [0x69, "ı"], [0x73, "ş"],
    ]);
  });

  test("Spanish single shift (A.2.2)", () => {
    expectEntries(SPANISH_SINGLE, [
      [0x09, "ç"], [0x41, "Á"], [0x49, "Í"], [0x4f, "Ó"], [0x55, "Ú"], [0x61, "á"],
      [0x65, "€"], [0x69, "í"], [0x6f, "ó"], [0x75, "ú"],
    ]);
  });

  test("Portuguese locking shift (A.3.3)", () => {
    expectEntries(PORTUGUESE_LOCKING, [
      [0x04, "ê"], [0x06, "ú"], [0x07, "í"], [0x08, "ó"], [0x09, "ç"], [0x0b, "Ô"], [0x0c, "ô"],
      [0x0e, "Á"], [0x0f, "á"], [0x12, "ª"], [0x13, "Ç"], [0x14, "À"], [0x15, "∞"], [0x16, "^"],
      [0x17, "\\"], [0x18, "€"], [0x19, "Ó"], [0x1a, "|"], [0x1c, "Â"], [0x1d, "â"], [0x1e, "Ê"],
      [0x24, "º"], [0x40, "Í"], [0x5b, "Ã"], [0x5c, "Õ"], [0x5d, "Ú"], [0x5e, "Ü"], [0x60, "~"],
      [0x7b, "ã"], [0x7c, "õ"], [0x7d, "`"], [0x7e, "ü"], [0x7f, "à"],
    ]);
  });

  test("Portuguese single shift (A.2.3)", () => {
    expectEntries(PORTUGUESE_SINGLE, [
      [0x05, "ê"], [0x09, "ç"], [0x0b, "Ô"], [0x0c, "ô"], [0x0e, "Á"], [0x0f, "á"], [0x12, "Φ"],
      [0x13, "Γ"], [0x15, "Ω"], [0x16, "Π"], [0x17, "Ψ"], [0x18, "Σ"], [0x19, "Θ"], [0x1f, "Ê"],
      [0x41, "À"], [0x49, "Í"], [0x4f, "Ó"], [0x55, "Ú"], [0x5b, "Ã"], [0x5c, "Õ"], [0x61, "Â"],
      [0x69, "í"], [0x6f, "ó"], [0x75, "ú"], [0x7b, "ã"], [0x7c, "õ"], [0x7f, "â"],
    ]);
  });
});

describe("GSM 7-bit tables: lookup by national language id", () => {
  test("id 0 gives the default tables", () => {
    expect(lockingShiftTable(0)).toBe(GSM7_DEFAULT);
    expect(singleShiftTable(0)).toBe(GSM7_DEFAULT_EXT);
  });

  test("Spanish (2) has a single shift table but no locking shift table", () => {
    expect(lockingShiftTable(2)).toBeUndefined();
    expect(singleShiftTable(2)).toBeDefined();
  });

  test("unsupported ids give undefined", () => {
    for (const id of [-1, 4, 13, 14, 99, 0.5]) {
      expect(lockingShiftTable(id)).toBeUndefined();
      expect(singleShiftTable(id)).toBeUndefined();
    }
    expect(singleShiftTable(99)).toBeUndefined();
  });

  test("NATIONAL_LANGUAGES lists 1, 2, 3 and each has a single shift table", () => {
    expect(NATIONAL_LANGUAGES).toEqual([1, 2, 3]);
    for (const id of NATIONAL_LANGUAGES) expect(singleShiftTable(id)).toBeDefined();
  });
});
