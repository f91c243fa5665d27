/**
 * GSM 7-bit character tables of 3GPP TS 23.038 (§6.2.1, Annex A), as Unicode code points.
 *
 * Each table has exactly 128 entries, index = septet value. -1 marks a septet with no character:
 * - 0x1B in every table. In the default alphabet and the locking shift tables it is the escape to
 *   the extension (single shift) table; in the extension and single shift tables it is the escape
 *   to a further extension table (none is defined). TS 23.038 NOTE 1 lets a receiver without that
 *   table display a space; that is the decoder's business, not data here.
 * - 0x0D in the extension and single shift tables: "CR2", a control function, not a character.
 * - every cell the spec leaves empty in a shift table.
 * 0x0A in the extension / single shift tables is FORM FEED (U+000C), a page break.
 *
 * Cross-checked, cell by cell, against four independent public transcriptions: the gsmcodecs CSV
 * tables (from TS 23.038 V18.0.0), Android GsmAlphabet.java (V9.1.1), oFono src/util.c (V8.2.0) and
 * warthog618/sms encoding/gsm7/charset. Differences, where we follow the spec:
 * - warthog618/sms maps 0x0D in the shift tables (CR2) to U+000A; the spec defines no character.
 * - oFono maps 0x1B to U+00A0 / U+0020 (the NOTE 1 display fallback); we keep -1.
 * - one implementation seen (OpenHarmony MsgTextConvert) has U+00EC 'ì' at Turkish locking 0x07;
 *   A.3.1 and the other sources have U+0131 'ı' (dotless i).
 *
 * Plain arrays and functions only, so that the module runs unchanged on Node, XS, Espruino (ES5)
 * and Lua (TypeScriptToLua).
 */

/**
 * 128 Unicode code points, index = septet. TS 23.038 §6.2.1.
 * 0x09 is U+00C7 'Ç' as the spec table gives it (some phones show 'ç'); 0x1B (escape) is -1.
 *
 * Source: 3GPP TS 23.038 §6.2.1 GSM 7 bit Default Alphabet.
 */
export const GSM7_DEFAULT: number[] = [
  /* 0x00 */ 0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
  /* 0x08 */ 0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
  /* 0x10 */ 0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
  /* 0x18 */ 0x03a3, 0x0398, 0x039e,    -1, 0x00c6, 0x00e6, 0x00df, 0x00c9,
  /* 0x20 */ 0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
  /* 0x28 */ 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
  /* 0x30 */ 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
  /* 0x38 */ 0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
  /* 0x40 */ 0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
  /* 0x48 */ 0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
  /* 0x50 */ 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
  /* 0x58 */ 0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
  /* 0x60 */ 0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
  /* 0x68 */ 0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
  /* 0x70 */ 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
  /* 0x78 */ 0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0
];

/**
 * Default extension table (single shift), 128 entries, -1 where undefined (0x1B maps to -1: it is
 * the escape to a further extension). TS 23.038 §6.2.1.1
 *
 * Source: 3GPP TS 23.038 §6.2.1.1 GSM 7 bit default alphabet extension table
 * (0x0A form feed U+000C; 0x0D CR2 = -1).
 */
export const GSM7_DEFAULT_EXT: number[] = [
  /* 0x00 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x08 */    -1,    -1, 0x000c,    -1,    -1,    -1,    -1,    -1,
  /* 0x10 */    -1,    -1,    -1,    -1, 0x005e,    -1,    -1,    -1,
  /* 0x18 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x20 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x28 */ 0x007b, 0x007d,    -1,    -1,    -1,    -1,    -1, 0x005c,
  /* 0x30 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x38 */    -1,    -1,    -1,    -1, 0x005b, 0x007e, 0x005d,    -1,
  /* 0x40 */ 0x007c,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x48 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x50 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x58 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x60 */    -1,    -1,    -1,    -1,    -1, 0x20ac,    -1,    -1,
  /* 0x68 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x70 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x78 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1
];

// 3GPP TS 23.038 Annex A.3.1 Turkish National Language Locking Shift Table
// (differs from §6.2.1 at 0x04 €, 0x07 ı, 0x0B Ğ, 0x0C ğ, 0x1C Ş, 0x1D ş, 0x40 İ, 0x60 ç)
function turkishLocking(): number[] {
  return [
  /* 0x00 */ 0x0040, 0x00a3, 0x0024, 0x00a5, 0x20ac, 0x00e9, 0x00f9, 0x0131,
  /* 0x08 */ 0x00f2, 0x00c7, 0x000a, 0x011e, 0x011f, 0x000d, 0x00c5, 0x00e5,
  /* 0x10 */ 0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
  /* 0x18 */ 0x03a3, 0x0398, 0x039e,    -1, 0x015e, 0x015f, 0x00df, 0x00c9,
  /* 0x20 */ 0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
  /* 0x28 */ 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
  /* 0x30 */ 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
  /* 0x38 */ 0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
  /* 0x40 */ 0x0130, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
  /* 0x48 */ 0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
  /* 0x50 */ 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
  /* 0x58 */ 0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
  /* 0x60 */ 0x00e7, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
  /* 0x68 */ 0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
  /* 0x70 */ 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
  /* 0x78 */ 0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0
];
}

// 3GPP TS 23.038 Annex A.3.3 Portuguese National Language Locking Shift Table
function portugueseLocking(): number[] {
  return [
  /* 0x00 */ 0x0040, 0x00a3, 0x0024, 0x00a5, 0x00ea, 0x00e9, 0x00fa, 0x00ed,
  /* 0x08 */ 0x00f3, 0x00e7, 0x000a, 0x00d4, 0x00f4, 0x000d, 0x00c1, 0x00e1,
  /* 0x10 */ 0x0394, 0x005f, 0x00aa, 0x00c7, 0x00c0, 0x221e, 0x005e, 0x005c,
  /* 0x18 */ 0x20ac, 0x00d3, 0x007c,    -1, 0x00c2, 0x00e2, 0x00ca, 0x00c9,
  /* 0x20 */ 0x0020, 0x0021, 0x0022, 0x0023, 0x00ba, 0x0025, 0x0026, 0x0027,
  /* 0x28 */ 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
  /* 0x30 */ 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
  /* 0x38 */ 0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
  /* 0x40 */ 0x00cd, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
  /* 0x48 */ 0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
  /* 0x50 */ 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
  /* 0x58 */ 0x0058, 0x0059, 0x005a, 0x00c3, 0x00d5, 0x00da, 0x00dc, 0x00a7,
  /* 0x60 */ 0x007e, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
  /* 0x68 */ 0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
  /* 0x70 */ 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
  /* 0x78 */ 0x0078, 0x0079, 0x007a, 0x00e3, 0x00f5, 0x0060, 0x00fc, 0x00e0
];
}

// 3GPP TS 23.038 Annex A.2.1 Turkish National Language Single Shift Table
// (0x0A form feed, 0x0D CR2 = -1)
function turkishSingleShift(): number[] {
  return [
  /* 0x00 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x08 */    -1,    -1, 0x000c,    -1,    -1,    -1,    -1,    -1,
  /* 0x10 */    -1,    -1,    -1,    -1, 0x005e,    -1,    -1,    -1,
  /* 0x18 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x20 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x28 */ 0x007b, 0x007d,    -1,    -1,    -1,    -1,    -1, 0x005c,
  /* 0x30 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x38 */    -1,    -1,    -1,    -1, 0x005b, 0x007e, 0x005d,    -1,
  /* 0x40 */ 0x007c,    -1,    -1,    -1,    -1,    -1,    -1, 0x011e,
  /* 0x48 */    -1, 0x0130,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x50 */    -1,    -1,    -1, 0x015e,    -1,    -1,    -1,    -1,
  /* 0x58 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x60 */    -1,    -1,    -1, 0x00e7,    -1, 0x20ac,    -1, 0x011f,
  /* 0x68 */    -1, 0x0131,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x70 */    -1,    -1,    -1, 0x015f,    -1,    -1,    -1,    -1,
  /* 0x78 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1
];
}

// 3GPP TS 23.038 Annex A.2.2 Spanish National Language Single Shift Table
// (0x0A form feed, 0x0D CR2 = -1)
function spanishSingleShift(): number[] {
  return [
  /* 0x00 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x08 */    -1, 0x00e7, 0x000c,    -1,    -1,    -1,    -1,    -1,
  /* 0x10 */    -1,    -1,    -1,    -1, 0x005e,    -1,    -1,    -1,
  /* 0x18 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x20 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x28 */ 0x007b, 0x007d,    -1,    -1,    -1,    -1,    -1, 0x005c,
  /* 0x30 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x38 */    -1,    -1,    -1,    -1, 0x005b, 0x007e, 0x005d,    -1,
  /* 0x40 */ 0x007c, 0x00c1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x48 */    -1, 0x00cd,    -1,    -1,    -1,    -1,    -1, 0x00d3,
  /* 0x50 */    -1,    -1,    -1,    -1,    -1, 0x00da,    -1,    -1,
  /* 0x58 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x60 */    -1, 0x00e1,    -1,    -1,    -1, 0x20ac,    -1,    -1,
  /* 0x68 */    -1, 0x00ed,    -1,    -1,    -1,    -1,    -1, 0x00f3,
  /* 0x70 */    -1,    -1,    -1,    -1,    -1, 0x00fa,    -1,    -1,
  /* 0x78 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1
];
}

// 3GPP TS 23.038 Annex A.2.3 Portuguese National Language Single Shift Table
// (0x0A form feed, 0x0D CR2 = -1)
function portugueseSingleShift(): number[] {
  return [
  /* 0x00 */    -1,    -1,    -1,    -1,    -1, 0x00ea,    -1,    -1,
  /* 0x08 */    -1, 0x00e7, 0x000c, 0x00d4, 0x00f4,    -1, 0x00c1, 0x00e1,
  /* 0x10 */    -1,    -1, 0x03a6, 0x0393, 0x005e, 0x03a9, 0x03a0, 0x03a8,
  /* 0x18 */ 0x03a3, 0x0398,    -1,    -1,    -1,    -1,    -1, 0x00ca,
  /* 0x20 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x28 */ 0x007b, 0x007d,    -1,    -1,    -1,    -1,    -1, 0x005c,
  /* 0x30 */    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x38 */    -1,    -1,    -1,    -1, 0x005b, 0x007e, 0x005d,    -1,
  /* 0x40 */ 0x007c, 0x00c0,    -1,    -1,    -1,    -1,    -1,    -1,
  /* 0x48 */    -1, 0x00cd,    -1,    -1,    -1,    -1,    -1, 0x00d3,
  /* 0x50 */    -1,    -1,    -1,    -1,    -1, 0x00da,    -1,    -1,
  /* 0x58 */    -1,    -1,    -1, 0x00c3, 0x00d5,    -1,    -1,    -1,
  /* 0x60 */    -1, 0x00c2,    -1,    -1,    -1, 0x20ac,    -1,    -1,
  /* 0x68 */    -1, 0x00ed,    -1,    -1,    -1,    -1,    -1, 0x00f3,
  /* 0x70 */    -1,    -1,    -1,    -1,    -1, 0x00fa,    -1,    -1,
  /* 0x78 */    -1,    -1,    -1, 0x00e3, 0x00f5,    -1,    -1, 0x00e2
];
}

/**
 * Locking shift table for national language id (TS 23.038 §6.2.1.2.4 / Annex A.3):
 * 0 → GSM7_DEFAULT, 1 Turkish, 3 Portuguese; returns undefined for ids without a locking shift
 * table (e.g. 2 Spanish has none) and for unsupported ids.
 */
/**
 * National tables are built on first use: most devices never see a national-language SMS, and an
 * array literal at module level costs heap on every device (one slot per entry on XS).
 */
const built: { [key: string]: number[] } = {};

function cached(key: string, make: () => number[]): number[] {
  let t = built[key];
  if (t === undefined) {
    t = make();
    built[key] = t;
  }
  return t;
}

export function lockingShiftTable(id: number): number[] | undefined {
  if (id === 0) return GSM7_DEFAULT;
  if (id === 1) return cached("L1", turkishLocking);
  if (id === 3) return cached("L3", portugueseLocking);
  return undefined;
}

/**
 * Single shift table for language id (Annex A.2): 0 → GSM7_DEFAULT_EXT, 1 Turkish, 2 Spanish,
 * 3 Portuguese; undefined otherwise.
 */
export function singleShiftTable(id: number): number[] | undefined {
  if (id === 0) return GSM7_DEFAULT_EXT;
  if (id === 1) return cached("S1", turkishSingleShift);
  if (id === 2) return cached("S2", spanishSingleShift);
  if (id === 3) return cached("S3", portugueseSingleShift);
  return undefined;
}

/**
 * Language ids for which the tables TS 23.038 defines are all known (Turkish, Spanish,
 * Portuguese), for the encoder's search order. Spanish has only a single shift table.
 */
export const NATIONAL_LANGUAGES: number[] = [1, 2, 3];
