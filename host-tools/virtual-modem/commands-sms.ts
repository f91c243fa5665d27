/** 3GPP TS 27.005 SMS commands in PDU mode (section numbers of TS 27.005 at each command). */
import { intArg, unquote } from "./at-parser.js";
import { isSmscNumber, STORAGES, type SmsStat, type StorageName } from "./sms.js";
import { CMS, cms, error, ok, type CommandTable, type Line, type Reply } from "./types.js";
import type { VirtualModem } from "./virtual-modem.js";

function storageOf(a: string | undefined): StorageName | undefined {
  const s = unquote(a)?.toUpperCase();
  return (STORAGES as readonly string[]).includes(s ?? "") ? (s as StorageName) : undefined;
}

/** <used> as +CPMS reports it: the storage-full fault makes every storage look full, as a full SIM does. */
function used(m: VirtualModem, name: string): number {
  const s = m.sms.storages[name as keyof typeof m.sms.storages];
  return m.faults.storageFull ? s.capacity : s.used();
}

function counts(m: VirtualModem): string {
  return m.sms.cpms.map((n) => `${used(m, n)},${m.sms.storages[n].capacity}`).join(",");
}

/** The "> " prompt of AT+CMGS / AT+CMGW (27.005 §3.5.1, §3.5.3): the PDU up to Ctrl-Z goes to `then`; ESC cancels with OK. */
function pduPrompt(then: (data: Buffer) => Reply): Reply {
  return {
    final: "OK",
    prompt: {
      text: "\r\n> ",
      until: "ctrl-z",
      then: (data) => (data === null ? ok() : then(data)),
    },
  };
}

const textModeUnsupported = (m: VirtualModem): Reply | undefined => (m.sms.cmgf !== 0 ? cms(CMS.operationNotSupported) : undefined);

/** Which <stat> values a list/delete selection takes. */
function matches(stat: SmsStat, want: number): boolean {
  return want === 4 || stat === want;
}

export const smsCommands: CommandTable = {
  // §3.2.1 Select Message Service
  "+CSMS": (c) => {
    if (c.form === "read") return ok("+CSMS: 0,1,1,1");
    if (c.form === "test") return ok("+CSMS: (0,1)");
    return intArg(c.args[0]) === 0 || intArg(c.args[0]) === 1 ? ok("+CSMS: 1,1,1") : cms(CMS.operationNotSupported);
  },
  // §3.2.2 Preferred Message Storage
  "+CPMS": (c, m) => {
    if (c.form === "test") return ok('+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")');
    if (c.form === "read") return ok("+CPMS: " + m.sms.cpms.map((n) => `"${n}",${used(m, n)},${m.sms.storages[n].capacity}`).join(","));
    if (c.form !== "set" || c.args.length === 0 || c.args.length > 3) return cms(CMS.operationNotAllowed);
    const next = [...m.sms.cpms] as [StorageName, StorageName, StorageName];
    for (let i = 0; i < c.args.length; i++) {
      const s = storageOf(c.args[i]);
      if (s === undefined) return cms(CMS.operationNotAllowed);
      next[i] = s;
    }
    m.sms.cpms = next;
    return ok("+CPMS: " + counts(m));
  },
  // §3.2.3 Message Format
  "+CMGF": (c, m) => {
    if (c.form === "read") return ok(`+CMGF: ${m.sms.cmgf}`);
    if (c.form === "test") return ok("+CMGF: (0,1)");
    const v = c.args.length === 0 ? 0 : intArg(c.args[0]);
    if (v !== 0 && v !== 1) return error();
    m.sms.cmgf = v;
    return ok();
  },
  // §3.3.1 Service Centre Address
  "+CSCA": (c, m) => {
    if (c.form === "read") return ok(`+CSCA: "${m.sms.smscNumber}",145`);
    if (c.form === "set" && c.args[0] !== undefined) {
      const number = unquote(c.args[0]) as string;
      // Received TPDUs are shown after an SMSC field made from this number: refuse one that field cannot carry.
      if (!isSmscNumber(number)) return cms(CMS.invalidPduParameter);
      m.sms.smscNumber = number;
    }
    return ok();
  },
  // §3.3.2 Set Text Mode Parameters
  "+CSMP": (c, m) => {
    if (c.form === "read") return ok(`+CSMP: ${m.sms.csmp.join(",")}`);
    if (c.form === "set") c.args.forEach((a, i) => {
      const v = intArg(a);
      if (v !== undefined && !Number.isNaN(v)) m.sms.csmp[i] = v;
    });
    return ok();
  },
  // §3.3.3 Show Text Mode Parameters
  "+CSDH": (c) => (c.form === "read" ? ok("+CSDH: 0") : ok()),
  // §3.4.1 New Message Indications to TE
  "+CNMI": (c, m) => {
    if (c.form === "read") return ok(`+CNMI: ${m.sms.cnmi.join(",")}`);
    if (c.form === "test") return ok("+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)");
    const max = [3, 3, 3, 2, 1];
    const next = [...m.sms.cnmi];
    for (let i = 0; i < c.args.length && i < 5; i++) {
      const v = intArg(c.args[i]);
      if (v === undefined) continue;
      if (Number.isNaN(v) || v < 0 || v > (max[i] as number)) return cms(CMS.operationNotSupported);
      next[i] = v;
    }
    m.sms.cnmi = next;
    return ok();
  },
  // §3.4.4 New Message Acknowledgement: the modem acknowledges by itself (+CSMS 0), so nothing is pending.
  "+CNMA": () => ok(),
  "+CMMS": (c) => (c.form === "read" ? ok("+CMMS: 0") : ok()),
  // §3.4.2 List Messages
  "+CMGL": (c, m) => {
    const t = textModeUnsupported(m);
    if (t !== undefined) return t;
    if (c.form === "test") return ok("+CMGL: (0-4)");
    const want = c.args.length === 0 ? 0 : intArg(c.args[0]);
    if (want === undefined || Number.isNaN(want) || want < 0 || want > 4) return cms(CMS.invalidPduParameter);
    const s = m.sms.storage(0);
    const lines: Line[] = [];
    for (const [index, msg] of [...s.slots.entries()].sort((a, b) => a[0] - b[0])) {
      if (!matches(msg.stat, want)) continue;
      lines.push(`+CMGL: ${index},${msg.stat},,${msg.length}`, msg.pdu);
      if (msg.stat === 0) msg.stat = 1;
    }
    return ok(...lines);
  },
  // §3.4.3 Read Message
  "+CMGR": (c, m) => {
    const t = textModeUnsupported(m);
    if (t !== undefined) return t;
    if (c.form === "test") return ok();
    const s = m.sms.storage(0);
    const i = intArg(c.args[0]);
    if (i === undefined || Number.isNaN(i) || i < 1 || i > s.capacity) return cms(CMS.invalidMemoryIndex);
    const msg = s.slots.get(i);
    if (msg === undefined) return ok();
    const stat = msg.stat;
    if (msg.stat === 0) msg.stat = 1;
    return ok(`+CMGR: ${stat},,${msg.length}`, msg.pdu);
  },
  // §3.5.4 Delete Message: <delflag> 1 read, 2 read+sent, 3 read+sent+unsent, 4 all
  "+CMGD": (c, m) => {
    const s = m.sms.storage(0);
    if (c.form === "test") return ok(`+CMGD: (${[...s.slots.keys()].sort((a, b) => a - b).join(",")}),(0-4)`);
    const index = intArg(c.args[0]);
    const flag = intArg(c.args[1]) ?? 0;
    if (Number.isNaN(flag) || flag < 0 || flag > 4) return cms(CMS.operationNotAllowed);
    if (flag === 0) {
      if (index === undefined || Number.isNaN(index) || index < 1 || index > s.capacity) return cms(CMS.invalidMemoryIndex);
      s.slots.delete(index);
      return ok();
    }
    const doomed: SmsStat[] = flag === 1 ? [1] : flag === 2 ? [1, 3] : flag === 3 ? [1, 2, 3] : [0, 1, 2, 3];
    for (const [i, msg] of s.slots) if (doomed.includes(msg.stat)) s.slots.delete(i);
    return ok();
  },
  // §3.5.1 Send Message: AT+CMGS=<length> → "> " → PDU (SMSC field + TPDU) → Ctrl-Z (ESC cancels)
  "+CMGS": (c, m) => {
    const t = textModeUnsupported(m);
    if (t !== undefined) return t;
    if (c.form === "test") return ok();
    const len = intArg(c.args[0]);
    if (len === undefined || Number.isNaN(len) || len < 1 || len > 164) return cms(CMS.invalidPduParameter);
    return pduPrompt((data) => {
      const r = m.sms.submit(data.toString("latin1"), len);
      return typeof r === "number" ? ok(`+CMGS: ${r}`) : { final: r };
    });
  },
  // §3.5.3 Write Message to Memory: AT+CMGW=<length>[,<stat>] → "> " → PDU → +CMGW: <index>
  "+CMGW": (c, m) => {
    const t = textModeUnsupported(m);
    if (t !== undefined) return t;
    const len = intArg(c.args[0]);
    const stat = intArg(c.args[1]) ?? 2;
    if (len === undefined || Number.isNaN(len) || len < 1 || len > 164 || stat < 0 || stat > 3) return cms(CMS.invalidPduParameter);
    if (m.sms.isFull(m.sms.storage(1))) return cms(CMS.memoryFull);
    return pduPrompt((data) => {
      const hex = data.toString("latin1").replace(/\s+/g, "").toUpperCase();
      if (!/^([0-9A-F]{2})+$/.test(hex)) return cms(CMS.invalidPduParameter);
      const tpduLen = hex.length / 2 - 1 - parseInt(hex.slice(0, 2), 16);
      if (tpduLen !== len) return cms(CMS.invalidPduParameter);
      const r = m.sms.write({ stat: stat as SmsStat, pdu: hex, length: len });
      return typeof r === "number" ? ok(`+CMGW: ${r}`) : { final: r };
    });
  },
};
