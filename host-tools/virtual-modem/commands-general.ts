/**
 * V.250 basic commands and the 3GPP TS 27.007 commands every family shares (identity, registration,
 * signal, functionality, PDP contexts). Section numbers of TS 27.007 / ITU-T V.250 at each command.
 */
import type { AtCommand } from "./at-parser.js";
import { intArg, unquote } from "./at-parser.js";
import type { RegCommand } from "./modem-state.js";
import { cme, error, ok, type CommandTable, type Handler, type Reply } from "./types.js";
import type { VirtualModem } from "./virtual-modem.js";

/** A basic command taking 0/1 (E, V, Q). */
function flag(set: (m: VirtualModem, v: boolean) => void): Handler {
  return (c, m) => {
    const v = c.args.length === 0 ? 0 : Number(c.args[0]);
    if (v !== 0 && v !== 1) return error();
    set(m, v === 1);
    return ok();
  };
}

/** Registration status commands: 27.007 §7.2 +CREG, §10.1.20 +CGREG, §10.1.22 +CEREG. */
function registration(cmd: RegCommand): Handler {
  return (c, m) => {
    if (c.form === "test") return ok(`${cmd}: (0-${cmd === "+CEREG" ? 5 : 2})`);
    if (c.form === "read") return ok(`${cmd}: ${m.state.regFields(cmd, m.state.regUrc[cmd], true)}`);
    const n = c.args.length === 0 ? 0 : intArg(c.args[0]);
    if (n === undefined || Number.isNaN(n) || n < 0 || n > (cmd === "+CEREG" ? 5 : 2)) return cme(50);
    m.state.regUrc[cmd] = n;
    return ok();
  };
}

/** Commands answering one fixed line to the exec form (and OK to the test form). */
function info(line: (m: VirtualModem) => string): Handler {
  return (c, m) => (c.form === "test" ? ok() : ok(line(m)));
}

/** AT+CFUN=1,1 and ATZ-style reset: settings, sockets and storage settings back to power-on, then the boot URCs. */
export async function resetModem(m: VirtualModem): Promise<Reply> {
  m.dialect.reset();
  await m.sockets.closeAll();
  m.state.resetSettings();
  m.state.cfun = 1;
  m.state.setRegistration(m.state.identity.homeStat);
  for (const c of m.state.pdp.values()) c.active = false;
  await m.sockets.attach();
  return { final: "OK", after: m.dialect.bootUrcs };
}

function sRegister(c: AtCommand, m: VirtualModem): Reply {
  const n = Number(c.name.slice(1));
  const key = n === 3 ? "s3" : n === 4 ? "s4" : n === 5 ? "s5" : undefined;
  if (c.form === "read") {
    const v = key === undefined ? 0 : m.state.settings[key];
    return ok(String(v).padStart(3, "0"));
  }
  if (c.form === "set" && key !== undefined) {
    const v = Number(c.args[0]);
    if (!Number.isInteger(v) || v < 0 || v > 127) return error();
    m.state.settings[key] = v;
  }
  return ok();
}

export const generalCommands: CommandTable = {
  // V.250 §6.2.4 echo, §6.2.6 result code format, §6.2.5 result code suppression
  E: flag((m, v) => (m.state.settings.echo = v)),
  V: flag((m, v) => (m.state.settings.verbose = v)),
  Q: flag((m, v) => (m.state.settings.quiet = v)),
  X: () => ok(),
  "&C": () => ok(),
  "&D": () => ok(),
  "&W": () => ok(),
  // V.250 §6.1.1 ATZ, §6.1.2 AT&F: back to the factory settings
  Z: (_c, m) => (m.state.resetSettings(), ok()),
  "&F": (_c, m) => (m.state.resetSettings(), ok()),
  // V.250 §6.1.3 ATI identification
  I: (_c, m) => ok(m.dialect.manufacturer, m.dialect.model, `Revision: ${m.dialect.revision}`),
  ...Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 25].map((n) => [`S${n}`, sRegister])),
  "+IPR": (c) => (c.form === "read" ? ok("+IPR: 115200") : ok()),
  "+IFC": (c) => (c.form === "read" ? ok("+IFC: 0,0") : ok()),
  // 27.007 §9.1 Report Mobile Termination error: 0 ERROR, 1 numeric, 2 verbose
  "+CMEE": (c, m) => {
    if (c.form === "read") return ok(`+CMEE: ${m.state.settings.cmee}`);
    if (c.form === "test") return ok("+CMEE: (0-2)");
    const v = c.args.length === 0 ? 0 : intArg(c.args[0]);
    if (v !== 0 && v !== 1 && v !== 2) return cme(50);
    m.state.settings.cmee = v;
    return ok();
  },
  // 27.007 §5.1–5.4 identification, §5.5 character set
  "+CGMI": info((m) => m.dialect.manufacturer),
  "+GMI": info((m) => m.dialect.manufacturer),
  "+CGMM": info((m) => m.dialect.model),
  "+GMM": info((m) => m.dialect.model),
  "+CGMR": info((m) => m.dialect.revision),
  "+GMR": info((m) => m.dialect.revision),
  "+CGSN": (c, m) => (c.form === "set" && intArg(c.args[0]) === 1 ? ok(`+CGSN: "${m.state.identity.imei}"`) : c.form === "test" ? ok() : ok(m.state.identity.imei)),
  "+GSN": info((m) => m.state.identity.imei),
  // 27.007 §5.6 IMSI
  "+CIMI": (c, m) => (c.form === "test" ? ok() : m.state.cfun === 0 ? cme(10) : ok(m.state.identity.imsi)),
  "+CCID": info((m) => `+CCID: ${m.state.identity.iccid}`),
  "+CNUM": info((m) => `+CNUM: ,"${m.state.identity.msisdn}",145`),
  "+CSCS": (c) => (c.form === "read" ? ok('+CSCS: "GSM"') : c.form === "test" ? ok('+CSCS: ("GSM","IRA","UCS2","HEX")') : ok()),
  // 27.007 §8.3 Enter PIN: the SIM needs none
  "+CPIN": (c, m) => (c.form === "read" ? (m.state.cfun === 0 ? cme(10) : ok("+CPIN: READY")) : ok()),
  // 27.007 §8.5 Signal quality
  "+CSQ": (c, m) => (c.form === "test" ? ok("+CSQ: (0-31,99),(0-7,99)") : ok(`+CSQ: ${m.state.registered ? m.state.rssi : 99},99`)),
  // 27.007 §8.69 Extended signal quality
  "+CESQ": (_c, m) => ok(`+CESQ: 99,99,255,255,${m.state.registered ? 20 : 255},${m.state.registered ? 50 : 255}`),
  "+CREG": registration("+CREG"),
  "+CGREG": registration("+CGREG"),
  "+CEREG": registration("+CEREG"),
  // 27.007 §7.3 PLMN selection
  "+COPS": (c, m) => {
    if (c.form === "test") return ok(`+COPS: (2,"${m.state.identity.operator}","Mock","${m.state.identity.plmn}",7),,(0-4),(0-2)`);
    if (c.form === "read") {
      if (!m.state.registered) return ok("+COPS: 0");
      const f = m.state.copsFormat;
      const name = f === 2 ? m.state.identity.plmn : f === 1 ? "Mock" : m.state.identity.operator;
      return ok(`+COPS: 0,${f},"${name}",7`);
    }
    const mode = intArg(c.args[0]);
    const format = intArg(c.args[1]);
    if (format !== undefined && format >= 0 && format <= 2) m.state.copsFormat = format;
    if (mode === 2) m.state.setRegistration(0);
    else if (mode === 0 || mode === 1 || mode === 4) m.state.setRegistration(m.state.cfun === 1 ? m.state.identity.homeStat : 0);
    return ok();
  },
  // 27.007 §8.2 Set phone functionality: 0 minimum, 1 full, 4 flight mode; <rst>=1 resets
  "+CFUN": async (c, m) => {
    if (c.form === "read") return ok(`+CFUN: ${m.state.cfun}`);
    if (c.form === "test") return ok("+CFUN: (0,1,4),(0,1)");
    const fun = intArg(c.args[0]);
    if (fun !== 0 && fun !== 1 && fun !== 4) return cme(50);
    if (intArg(c.args[1]) === 1) return resetModem(m);
    m.state.setFunctionality(fun);
    return ok();
  },
  // 27.007 §10.1.1 Define PDP context
  "+CGDCONT": (c, m) => {
    if (c.form === "test") return ok('+CGDCONT: (1-16),"IP",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)');
    if (c.form === "read") return ok(...[...m.state.pdp.values()].sort((a, b) => a.cid - b.cid).map((p) => `+CGDCONT: ${p.cid},"${p.type}","${p.apn}","0.0.0.0",0,0`));
    const cid = intArg(c.args[0]);
    if (cid === undefined || Number.isNaN(cid) || cid < 1 || cid > 16) return cme(50);
    if (c.args.length === 1) {
      m.state.pdp.delete(cid);
      return ok();
    }
    const ctx = m.state.context(cid);
    ctx.type = unquote(c.args[1]) || "IP";
    ctx.apn = unquote(c.args[2]) ?? "";
    return ok();
  },
  // 27.007 §10.1.10 PDP context activate or deactivate
  "+CGACT": (c, m) => {
    if (c.form === "read") return ok(...[...m.state.pdp.values()].map((p) => `+CGACT: ${p.cid},${p.active ? 1 : 0}`));
    if (c.form === "test") return ok("+CGACT: (0,1)");
    const state = intArg(c.args[0]);
    if (state !== 0 && state !== 1) return cme(50);
    if (state === 1 && !m.state.registered) return cme(30);
    const cids = c.args.length > 1 ? c.args.slice(1).map((a) => Number(a)) : [...m.state.pdp.keys()];
    for (const cid of cids) m.state.context(cid).active = state === 1;
    return ok();
  },
  // 27.007 §10.1.9 PS attach or detach
  "+CGATT": (c, m) => (c.form === "read" ? ok(`+CGATT: ${m.state.registered ? 1 : 0}`) : ok()),
  // 27.007 §10.1.14 Show PDP address
  "+CGPADDR": (c, m) => {
    const cids = c.args.length > 0 ? c.args.map((a) => Number(a)) : [...m.state.pdp.keys()];
    return ok(...cids.map((cid) => `+CGPADDR: ${cid},"${m.state.pdp.get(cid)?.active ? m.state.deviceIp : "0.0.0.0"}"`));
  },
};
