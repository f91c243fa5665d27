/**
 * How a runtime represents text. The codec works on Unicode code points (number[]); a TextCodec
 * turns them into the runtime's strings and back.
 *
 * - `utf16Text`: ordinary JavaScript strings (Node, XS). Code points above U+FFFF become
 *   surrogate pairs.
 * - `utf8Text`: byte strings, one char per octet (Espruino, whose strings are 8-bit, and Lua,
 *   whose strings are bytes). Text beyond Latin-1 survives as its UTF-8 octets.
 */
export interface TextCodec {
  fromCodePoints(cps: number[]): string;
  /** Invalid sequences (lone surrogates, bad UTF-8) become U+FFFD. */
  toCodePoints(s: string): number[];
}

function utf16From(cps: number[]): string {
  let out = "";
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      out += String.fromCharCode(0xd800 + (v >>> 10), 0xdc00 + (v & 0x3ff));
    } else {
      out += String.fromCharCode(cp);
    }
  }
  return out;
}

function utf16To(s: string): number[] {
  const out: number[] = [];
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
        continue;
      }
    }
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
  }
  return out;
}

function utf8From(cps: number[]): string {
  let out = "";
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    if (cp < 0x80) {
      out += String.fromCharCode(cp);
    } else if (cp < 0x800) {
      out += String.fromCharCode(0xc0 | (cp >>> 6), 0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += String.fromCharCode(0xe0 | (cp >>> 12), 0x80 | ((cp >>> 6) & 0x3f), 0x80 | (cp & 0x3f));
    } else {
      out += String.fromCharCode(
        0xf0 | (cp >>> 18),
        0x80 | ((cp >>> 12) & 0x3f),
        0x80 | ((cp >>> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      );
    }
  }
  return out;
}

/**
 * UTF-8 (one octet per char of `s`) → code points. An invalid sequence (bad lead octet, missing
 * continuation, overlong form, surrogate, above U+10FFFF) becomes U+FFFD, or, when `strict`, makes
 * the result null.
 */
function utf8Decode(s: string, strict: boolean): number[] | null {
  const out: number[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const b = s.charCodeAt(i) & 0xff;
    let need: number;
    let cp: number;
    let min: number;
    if (b < 0x80) {
      out.push(b);
      i++;
      continue;
    } else if ((b & 0xe0) === 0xc0) {
      need = 1;
      cp = b & 0x1f;
      min = 0x80;
    } else if ((b & 0xf0) === 0xe0) {
      need = 2;
      cp = b & 0x0f;
      min = 0x800;
    } else if ((b & 0xf8) === 0xf0) {
      need = 3;
      cp = b & 0x07;
      min = 0x10000;
    } else {
      if (strict) return null;
      out.push(0xfffd);
      i++;
      continue;
    }
    let j = 1;
    while (j <= need && i + j < n && (s.charCodeAt(i + j) & 0xc0) === 0x80) {
      cp = (cp << 6) | (s.charCodeAt(i + j) & 0x3f);
      j++;
    }
    if (j <= need || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      if (strict) return null;
      out.push(0xfffd);
      i += j;
      continue;
    }
    out.push(cp);
    i += j;
  }
  return out;
}

function utf8To(s: string): number[] {
  return utf8Decode(s, false) as number[];
}

export const utf16Text: TextCodec = { fromCodePoints: utf16From, toCodePoints: utf16To };
export const utf8Text: TextCodec = { fromCodePoints: utf8From, toCodePoints: utf8To };

/** A runtime string as UTF-8 octets. */
export function textToUtf8(s: string, text: TextCodec): number[] {
  const u = utf8From(text.toCodePoints(s));
  const out: number[] = [];
  for (let i = 0; i < u.length; i++) out.push(u.charCodeAt(i) & 0xff);
  return out;
}

/** UTF-8 octets as a runtime string (invalid sequences become U+FFFD). */
export function utf8ToText(bytes: number[], text: TextCodec): string {
  let u = "";
  for (let i = 0; i < bytes.length; i++) u += String.fromCharCode(bytes[i] as number);
  return text.fromCodePoints(utf8To(u));
}

/** UTF-8 octets → code points, or null when they are not valid UTF-8 (RFC 3629). */
export function utf8ToCodePointsStrict(bytes: number[]): number[] | null {
  let u = "";
  for (let i = 0; i < bytes.length; i++) u += String.fromCharCode(bytes[i] as number);
  return utf8Decode(u, true);
}
