/** TP-Data-Coding-Scheme, 3GPP TS 23.038 §4 (SMS Data Coding Scheme). */
import type { Alphabet, DcsInfo } from "./types.js";

const MWI_KINDS: ("voicemail" | "fax" | "email" | "other")[] = ["voicemail", "fax", "email", "other"];

function alphabetBits(bits: number): Alphabet {
  // Bits 3-2: 00 GSM 7 bit, 01 8 bit data, 10 UCS2, 11 reserved. "Any reserved codings shall be
  // assumed to be the GSM 7 bit default alphabet" (TS 23.038 §4).
  if (bits === 1) return "8bit";
  if (bits === 2) return "ucs2";
  return "gsm7";
}

export function decodeDcs(dcs: number): DcsInfo {
  const top = dcs >>> 4;
  if (top < 8) {
    // 00xx xxxx general data coding, 01xx xxxx automatic deletion group (§4).
    const info: DcsInfo = {
      group: "general",
      alphabet: alphabetBits((dcs >>> 2) & 3),
      compressed: (dcs & 0x20) !== 0,
    };
    if ((dcs & 0x10) !== 0) info.class = dcs & 3; // bit 4: bits 1-0 carry the message class
    return info;
  }
  if (top < 12) return { group: "reserved", alphabet: "gsm7", compressed: false }; // 1000..1011 reserved (§4)
  if (top === 15) {
    // 1111: data coding / message class; bit 2 = 8-bit data (§4).
    return { group: "data-class", alphabet: (dcs & 4) !== 0 ? "8bit" : "gsm7", compressed: false, class: dcs & 3 };
  }
  // 1100 discard, 1101 store (GSM 7 bit), 1110 store (UCS2): message waiting indication (§4).
  const mwi = { active: (dcs & 8) !== 0, kind: MWI_KINDS[dcs & 3] as "voicemail" | "fax" | "email" | "other" };
  if (top === 12) return { group: "mwi-discard", alphabet: "gsm7", compressed: false, mwi: mwi };
  if (top === 13) return { group: "mwi-store", alphabet: "gsm7", compressed: false, mwi: mwi };
  return { group: "mwi-store-ucs2", alphabet: "ucs2", compressed: false, mwi: mwi };
}

/** The DCS an encoder uses: general group, no class unless given (§4). */
export function makeDcs(alphabet: Alphabet, messageClass: number | undefined): number {
  const a = alphabet === "8bit" ? 4 : alphabet === "ucs2" ? 8 : 0;
  return messageClass === undefined ? a : a | 0x10 | (messageClass & 3);
}
