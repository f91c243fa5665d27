/**
 * The decoded shape of an SMS TPDU (docs/pdu.md): what `simcmd pdu decode` prints and encodePdu takes. Every runtime (Node, XS, Espruino, Lua)
 * produces exactly this object; text fields are strings in the runtime's text representation
 * (UTF-16 on Node/XS, UTF-8 byte strings on Espruino/Lua, see ../text.ts).
 */
import type { PduWarning } from "../errors.js";

/** TP-MTI names, 3GPP TS 23.040 §9.2.3.1 (Table: MTI × direction). */
export type PduType =
  | "deliver"
  | "deliver-report"
  | "submit"
  | "submit-report"
  | "status-report"
  | "command";

/** Which side sent the TPDU: "mt" = network → mobile (SC → MS), "mo" = mobile → network. */
export type Direction = "mt" | "mo";

export type Alphabet = "gsm7" | "8bit" | "ucs2" | "reserved";

/** 3GPP TS 23.040 §9.2.3.12 TP-Validity-Period. */
export type ValidityPeriod =
  | { format: "none" }
  | { format: "relative"; value: number; seconds: number }
  | { format: "absolute"; time: string }
  | { format: "enhanced"; octets: string; single_shot: boolean; seconds?: number };

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
  /** 8 for IEI 0x00, 16 for IEI 0x08 (3GPP TS 23.040 §9.2.3.24.1 / .8). */
  ref_bits: number;
}

export interface PortInfo {
  dest: number;
  src: number;
  /** 8 for IEI 0x04, 16 for IEI 0x05 (3GPP TS 23.040 §9.2.3.24.3 / .4). */
  bits: number;
}

export interface RawIe {
  iei: number;
  /** Information element data as uppercase hex. */
  data: string;
}

export interface Udh {
  concat?: ConcatInfo;
  ports?: PortInfo;
  /** National language single shift table id (IEI 0x24, TS 23.038 §6.2.1.2.4). */
  single_shift?: number;
  /** National language locking shift table id (IEI 0x25, TS 23.038 §6.2.1.2.5). */
  locking_shift?: number;
  /** Every other IE, in order of appearance. Absent when there are none. */
  ies?: RawIe[];
}

/** TP-DCS decoded, 3GPP TS 23.038 §4. */
export interface DcsInfo {
  group: "general" | "mwi-discard" | "mwi-store" | "mwi-store-ucs2" | "data-class" | "reserved";
  alphabet: Alphabet;
  compressed: boolean;
  /** Message class 0–3, absent when the DCS gives none. */
  class?: number;
  /** Message waiting indication (groups 1100–1110). */
  mwi?: { active: boolean; kind: "voicemail" | "fax" | "email" | "other" };
}

export interface Pdu {
  type: PduType;
  smsc: string | null;
  smsc_toa?: number;
  originator?: string;
  originator_toa?: number;
  destination?: string;
  destination_toa?: number;
  recipient?: string;
  recipient_toa?: number;
  first_octet: number;
  message_ref?: number;
  pid?: number;
  dcs?: number;
  dcs_info?: DcsInfo;
  udl?: number;
  timestamp?: string;
  discharge_time?: string;
  status?: number;
  /** TP-ST meaning: "delivered" (0x00-0x1F), "temporary-error" (0x20-0x3F), "permanent-error" (0x40-0x5F), "temporary-error-final" (0x60-0x7F), "reserved". */
  status_text?: string;
  validity_period?: ValidityPeriod;
  /** TP-FCS of SUBMIT-REPORT / DELIVER-REPORT with failure. */
  failure_cause?: number;
  /** TP-PI of reports and STATUS-REPORT (which optional fields are present). */
  parameter_indicator?: number;
  /** SMS-COMMAND fields (TS 23.040 §9.2.2.4). */
  command_type?: number;
  message_number?: number;
  command_data_hex?: string;
  more_messages?: boolean;
  reject_duplicates?: boolean;
  reply_path?: boolean;
  status_report_request?: boolean;
  status_report_indication?: boolean;
  status_report_qualifier?: "submit" | "command";
  udh?: Udh;
  text?: string;
  data_hex?: string;
  /** What was wrong but could still be read, in the order found (absent when nothing was). */
  warnings?: PduWarning[];
}
