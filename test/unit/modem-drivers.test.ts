/**
 * Driver-specific parsing on a fake serial and a fake clock (no pty, no waiting): socket URCs and
 * reads with binary payloads that contain CR LF and "OK", +UUSORF hex, +CADATAIND, +QIOPEN errors
 * and timeouts, +CMS errors on AT+CMGS, a full SMS storage, +CMTI / +CDS handling, registration
 * polling. Modem bytes are written from the manuals' syntax; the BG96 and SIM7080 shapes are the
 * ones of test/fixtures/at/bg96-qird-binary.txt and sim7080-casend-carecv.txt (sources there).
 */
import { AtEngine } from "../../firmware/at/index.js";
import { decodePdu, encodePdu } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { createModem, type Datagram, type Modem, type ModemError, type ModemFamily, type Outcome, type SmsMessage, type SmsSent, type StatusReport } from "../../firmware/modems/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSerial, bytesOf } from "../helpers/fake-serial.js";

const OK = "\r\nOK\r\n";
const line = (s: string): string => `\r\n${s}\r\n`;

interface Rig {
  modem: Modem;
  serial: FakeSerial;
  clock: FakeClock;
  errors: ModemError[];
  datagrams: Datagram[];
  messages: SmsMessage[];
  reports: StatusReport[];
  /** Answers `write` (the exact bytes the driver writes) with `answer` 1 ms later. */
  on(write: string, answer: string): void;
  /** Lets scripted answers and timers run (fake time, 1 ms steps). */
  settle(ms?: number): void;
}

function rig(family: ModemFamily, options: { dataTimeout?: number } = {}): Rig {
  const clock = new FakeClock();
  const serial = new FakeSerial(clock);
  const engine = new AtEngine({ serial, clock });
  const errors: ModemError[] = [];
  const modem = createModem(family, engine, { clock, pollInterval: 100, registrationTimeout: 1000, onError: (e) => errors.push(e), ...options });
  const r: Rig = {
    modem,
    serial,
    clock,
    errors,
    datagrams: [],
    messages: [],
    reports: [],
    on: (write, answer) => void serial.reply(write, answer, 1),
    settle: (ms = 50) => {
      for (let i = 0; i < ms; i++) clock.advance(1);
    },
  };
  modem.udp.onDatagram((d) => r.datagrams.push(d));
  modem.sms.onMessage((m) => r.messages.push(m));
  modem.sms.onStatusReport((s) => r.reports.push(s));
  return r;
}

/** Runs a driver call on the rig; returns its outcome once the fake time has settled. */
function run<T>(r: Rig, f: (cb: (o: Outcome<T>) => void) => void, ms = 50): Outcome<T> {
  let out: Outcome<T> | undefined;
  f((o) => (out = o));
  r.settle(ms);
  if (out === undefined) throw new Error("no outcome; writes: " + JSON.stringify(r.serial.writes));
  return out;
}

const value = <T>(o: Outcome<T>): T => {
  if (!o.ok) throw new Error(`${o.error.kind} ${o.error.command}: ${o.error.message}`);
  return o.value;
};

const SOCKET = { id: 0, localPort: 6969, mode: "buffer" as const };

describe("BG96 sockets", () => {
  test("buffer mode: +QIURC \"recv\" → AT+QIRD; the payload holds CR LF, OK, NUL, 0xFF; reads until +QIRD: 0", () => {
    const r = rig("bg96");
    r.serial.emit(line('+QIURC: "recv",0')); // the socket is unknown to the driver: ignored
    expect(r.serial.writes).toEqual([]);
    r.on('AT+QIOPEN=1,0,"UDP SERVICE","127.0.0.1",0,6969,0\r', OK + line("+QIOPEN: 0,0"));
    expect(value(run(r, (cb) => r.modem.udp.open({ localPort: 6969, mode: "buffer" }, cb)))).toEqual(SOCKET);
    r.on("AT+QIRD=0,1500\r", line('+QIRD: 12,"100.64.0.1",6969') + "\r\nOK\r\n\x00\xFFab\r\n" + OK);
    r.on("AT+QIRD=0,1500\r", line("+QIRD: 0") + OK);
    r.serial.emit(line('+QIURC: "recv",0'));
    r.settle();
    expect(r.serial.writes.slice(-2)).toEqual(["AT+QIRD=0,1500\r", "AT+QIRD=0,1500\r"]);
    expect(r.datagrams).toEqual([{ socket: 0, host: "100.64.0.1", port: 6969, data: bytesOf("\r\nOK\r\n\x00\xFFab\r\n") }]);
    expect(r.serial.writes.filter((w) => w.startsWith("AT+QIRD"))).toHaveLength(2);
    expect(r.errors).toEqual([]);
  });

  test("push mode: the datagram follows the +QIURC line, split anywhere", () => {
    const r = rig("bg96");
    const urc = '\r\n+QIURC: "recv",1,5,"100.64.0.1",6969\r\nhi\r\n!\r\n';
    for (const ch of urc) r.serial.emit(ch); // byte by byte
    expect(r.datagrams).toEqual([{ socket: 1, host: "100.64.0.1", port: 6969, data: bytesOf("hi\r\n!") }]);
  });

  test("+QIOPEN: <id>,<err> ≠ 0 is a rejection with the error code; no +QIOPEN is a timeout", () => {
    const r = rig("bg96", { dataTimeout: 3000 });
    r.on('AT+QIOPEN=1,0,"UDP SERVICE","127.0.0.1",0,6969,1\r', OK + line("+QIOPEN: 0,563"));
    const o = run(r, (cb) => r.modem.udp.open({ localPort: 6969, mode: "push" }, cb));
    expect(o.ok ? null : o.error).toMatchObject({ kind: "rejected", code: 563 });
    r.on('AT+QIOPEN=1,0,"UDP SERVICE","127.0.0.1",0,6969,0\r', OK);
    const t = run(r, (cb) => r.modem.udp.open({ localPort: 6969, mode: "buffer" }, cb), 3100);
    expect(t.ok ? null : t.error.kind).toBe("timeout");
  });

  test("AT+QISEND: prompt, payload with CR LF, SEND OK; SEND FAIL is a failure", () => {
    const r = rig("bg96");
    r.on('AT+QISEND=0,4,"100.64.0.1",6969\r', "\r\n> ");
    r.on("a\r\nb", line("SEND OK"));
    expect(value(run(r, (cb) => r.modem.udp.send(SOCKET, bytesOf("a\r\nb"), 6969, cb)))).toBe(4);
    r.on('AT+QISEND=0,1,"100.64.0.1",6969\r', "\r\n> ");
    r.on("x", line("SEND FAIL"));
    const o = run(r, (cb) => r.modem.udp.send(SOCKET, bytesOf("x"), 6969, cb));
    expect(o.ok ? null : o.error.kind).toBe("at");
  });
});

describe("SIM7080 sockets", () => {
  test("+CADATAIND → AT+CARECV: the payload starts after the comma and may hold CR LF OK", () => {
    const r = rig("sim7080");
    r.on('AT+CASERVER=0,0,"UDP",6969\r', OK);
    value(run(r, (cb) => r.modem.udp.open({ localPort: 6969, mode: "buffer" }, cb)));
    r.on("AT+CARECV=0,1460\r", "\r\n+CARECV: 7,ab\r\nOK\r\r\nOK\r\n");
    r.on("AT+CARECV=0,1460\r", line("+CARECV: 0") + OK);
    r.serial.emit(line("+CADATAIND: 0"));
    r.settle();
    expect(r.serial.writes.filter((w) => w.startsWith("AT+CARECV"))).toHaveLength(2);
    expect(r.datagrams).toEqual([{ socket: 0, host: "", port: 0, data: bytesOf("ab\r\nOK\r") }]);
  });

  test("AT+CASEND to another port sets AT+CACFG REMOTEADDR first; +CAURC push data is delivered", () => {
    const r = rig("sim7080");
    r.on('AT+CACFG="REMOTEADDR",0,"100.64.0.1",7000\r', OK);
    r.on("AT+CASEND=0,2\r", "\r\n>");
    r.on("hi", OK);
    expect(value(run(r, (cb) => r.modem.udp.send(SOCKET, bytesOf("hi"), 7000, cb)))).toBe(2);
    r.serial.emit('\r\n+CAURC: "recv",0,3\r\n\r\n\x01\r\n');
    expect(r.datagrams).toEqual([{ socket: 0, host: "", port: 0, data: [13, 10, 1] }]);
  });
});

describe("SARA-R4 sockets (hex mode)", () => {
  test("+UUSORF → AT+USORF in hex; reads until +USORF: <s>,0; bad hex is reported", () => {
    const r = rig("sara-r4");
    r.on("AT+UDCONF=1,1\r", OK);
    r.on("AT+USOCR=17,6969\r", line("+USOCR: 0") + OK);
    expect(value(run(r, (cb) => r.modem.udp.open({ localPort: 6969, mode: "buffer" }, cb)))).toEqual(SOCKET);
    r.on("AT+USORF=0,512\r", line('+USORF: 0,"100.64.0.1",6969,5,"68690D0A21"') + OK);
    r.on("AT+USORF=0,512\r", line("+USORF: 0,0") + OK);
    r.serial.emit(line("+UUSORF: 0,5"));
    r.settle();
    expect(r.serial.writes.filter((w) => w.startsWith("AT+USORF"))).toHaveLength(2);
    expect(r.datagrams).toEqual([{ socket: 0, host: "100.64.0.1", port: 6969, data: bytesOf("hi\r\n!") }]);
    r.on("AT+USORF=0,512\r", line('+USORF: 0,"100.64.0.1",6969,2,"6Z00"') + OK);
    r.serial.emit(line("+UUSORF: 0,2"));
    r.settle();
    expect(r.errors.map((e) => e.kind)).toEqual(["protocol"]);
  });

  test("AT+USOST sends hex; push mode is unsupported", () => {
    const r = rig("sara-r4");
    r.on('AT+USOST=0,"100.64.0.1",6969,3,"0D0AFF"\r', line("+USOST: 0,3") + OK);
    expect(value(run(r, (cb) => r.modem.udp.send(SOCKET, [13, 10, 255], 6969, cb)))).toBe(3);
    const o = run(r, (cb) => r.modem.udp.open({ localPort: 1, mode: "push" }, cb));
    expect(o.ok ? null : o.error.kind).toBe("unsupported");
  });
});

const SMSC = "07915155555501F0"; // +15555550100, as the modem prefixes received TPDUs
const deliverHex = (text: string, extra: Record<string, unknown> = {}): string =>
  SMSC + (encodePdu({ type: "deliver", originator: "000", timestamp: "2026-01-02T03:04:05+00:00", text, ...extra } as never, { smsc: false, text: utf16Text }) as { hex: string }).hex;

describe("SMS (27.005 PDU mode)", () => {
  test("+CMTI → AT+CMGR → AT+CMGD; concatenated parts are joined", () => {
    const r = rig("bg96");
    const p1 = deliverHex("Hello ", { udh: { concat: { ref: 7, total: 2, seq: 1, ref_bits: 8 } } });
    const p2 = deliverHex("world", { udh: { concat: { ref: 7, total: 2, seq: 2, ref_bits: 8 } } });
    r.on("AT+CMGR=3\r", line(`+CMGR: 0,,${p1.length / 2 - 8}`) + p1 + "\r\n" + OK);
    r.on("AT+CMGD=3\r", OK);
    r.on("AT+CMGR=4\r", line(`+CMGR: 0,,${p2.length / 2 - 8}`) + p2 + "\r\n" + OK);
    r.on("AT+CMGD=4\r", OK);
    r.serial.emit(line('+CMTI: "SM",3') + line('+CMTI: "SM",4'));
    r.settle();
    expect(r.messages).toEqual([{ from: "000", text: "Hello world", timestamp: "2026-01-02T03:04:05+00:00", parts: 2, alphabet: "gsm7" }]);
    expect(r.serial.writes).toEqual(["AT+CMGR=3\r", "AT+CMGR=4\r", "AT+CMGD=3\r", "AT+CMGD=4\r"]);
  });

  test("AT+CMGS: prompt, PDU + Ctrl-Z, +CMGS: <mr>; +CDS is matched by the reference", () => {
    const r = rig("sim7080");
    r.on("AT+CMGS=13\r", "\r\n> ");
    r.serial.write = ((orig) => (b: number[]) => {
      orig(b);
      if (b[b.length - 1] === 0x1a) r.serial.emit(line("+CMGS: 42") + OK);
    })(r.serial.write.bind(r.serial));
    const sent = value(run<SmsSent>(r, (cb) => r.modem.sms.send("000", "ping", { statusReport: true }, cb)));
    expect(sent.references).toEqual([42]);
    const pdu = r.serial.writes[1] as string;
    expect(pdu.endsWith("\x1a")).toBe(true);
    const submit = decodePdu(pdu.slice(0, -1), { smsc: true, direction: "mo", text: utf16Text });
    expect(submit.ok && submit.pdu).toMatchObject({ type: "submit", smsc: null, destination: "000", status_report_request: true, text: "ping" });
    const report = (encodePdu({ type: "status-report", message_ref: 42, recipient: "000", timestamp: "2026-01-02T03:04:05+00:00", discharge_time: "2026-01-02T03:04:06+00:00", status: 0 } as never, { smsc: false, text: utf16Text }) as { hex: string }).hex;
    r.serial.emit(line(`+CDS: ${report.length / 2}`) + SMSC + report + "\r\n");
    expect(r.reports).toEqual([{ reference: 42, status: 0, delivered: true, recipient: "000", to: "000" }]);
  });

  test("+CMS ERROR on AT+CMGS is a typed failure with its code", () => {
    const r = rig("sara-r4");
    r.on("AT+CMGS=13\r", "\r\n> ");
    r.serial.write = ((orig) => (b: number[]) => {
      orig(b);
      if (b[b.length - 1] === 0x1a) r.serial.emit(line("+CMS ERROR: 331"));
    })(r.serial.write.bind(r.serial));
    const o = run(r, (cb) => r.modem.sms.send("000", "ping", null, cb));
    expect(o.ok ? null : o.error).toEqual({ kind: "at", command: "AT+CMGS=13", code: 331, message: "+CMS ERROR: 331" });
  });

  test("a full storage at start is drained: AT+CMGL=4, each message handled and deleted", () => {
    const r = rig("bg96");
    const a = deliverHex("first");
    const b = deliverHex("second");
    r.on("AT+CMGF=0\r", OK);
    r.on('AT+CPMS="SM","SM","SM"\r', line("+CPMS: 2,2,2,2,2,2") + OK);
    r.on("AT+CNMI=2,1,0,1,0\r", OK);
    r.on("AT+CPMS?\r", line('+CPMS: "SM",2,2,"SM",2,2,"SM",2,2') + OK);
    r.on("AT+CMGL=4\r", line(`+CMGL: 1,0,,${a.length / 2 - 8}`) + a + "\r\n" + `+CMGL: 2,1,,${b.length / 2 - 8}\r\n` + b + "\r\n" + OK);
    r.on("AT+CMGD=1\r", OK);
    r.on("AT+CMGD=2\r", OK);
    value(run(r, (cb) => r.modem.sms.start(cb)));
    expect(r.messages.map((m) => m.text)).toEqual(["first", "second"]);
    expect(r.serial.writes.slice(-2)).toEqual(["AT+CMGD=1\r", "AT+CMGD=2\r"]);
  });

  test("a PDU that does not decode is reported and still deleted", () => {
    const r = rig("bg96");
    r.on("AT+CMGR=1\r", line("+CMGR: 0,,5") + SMSC + "04\r\n" + OK);
    r.on("AT+CMGD=1\r", OK);
    r.serial.emit(line('+CMTI: "SM",1'));
    r.settle();
    expect(r.errors.map((e) => e.kind)).toEqual(["pdu"]);
    expect(r.serial.writes).toContain("AT+CMGD=1\r");
  });
});

describe("network", () => {
  test("register polls AT+CEREG? until roaming; a +CEREG URC reaches onRegistration", () => {
    const r = rig("bg96");
    const seen: string[] = [];
    r.modem.network.onRegistration((x) => seen.push(x.stat));
    r.on("AT+CEREG=2\r", OK);
    r.on("AT+CEREG?\r", line("+CEREG: 2,2") + OK);
    let out: Outcome<unknown> | undefined;
    r.modem.network.register((o) => (out = o));
    r.settle(20);
    expect(out).toBeUndefined();
    r.on("AT+CEREG?\r", line('+CEREG: 2,5,"1A2B","01A2D101",7') + OK);
    r.settle(200);
    expect(out).toEqual({ ok: true, value: { stat: "roaming", registered: true, area: "1A2B", cell: "01A2D101" } });
    r.serial.emit(line("+CEREG: 0"));
    expect(seen).toEqual(["not-registered"]);
  });

  test("register gives up after registrationTimeout (fake time)", () => {
    const r = rig("sim7080");
    r.on("AT+CEREG=2\r", OK);
    r.serial.reply("AT+CEREG?\r", line("+CEREG: 2,2") + OK, 1, true);
    const o = run(r, (cb) => r.modem.network.register(cb), 1300);
    expect(o.ok ? null : o.error.kind).toBe("timeout");
  });

  test("identity per family: AT+QCCID on BG96, a bare ICCID line on SIM7080", () => {
    const r = rig("bg96");
    r.on("AT+CGSN\r", line("867698041234565") + OK);
    r.on("AT+CIMI\r", line("001010123456789") + OK);
    r.on("AT+QCCID\r", line("+QCCID: 8988307000001234567") + OK);
    expect(value(run(r, (cb) => r.modem.network.identity(cb)))).toEqual({ imei: "867698041234565", imsi: "001010123456789", iccid: "8988307000001234567" });
  });
});

describe("power", () => {
  test("powerOff: AT+QPOWD=1, then the off hook; the driver forgets its sockets", () => {
    const clock = new FakeClock();
    const serial = new FakeSerial(clock);
    const engine = new AtEngine({ serial, clock });
    const hooks: string[] = [];
    const modem = createModem("bg96", engine, { clock, power: { off: (done) => (hooks.push("off"), done()) } });
    serial.reply('AT+QPOWD=1\r', OK + line("POWERED DOWN"), 1);
    let out: Outcome<void> | undefined;
    modem.power.powerOff((o) => (out = o));
    clock.advance(5);
    expect(out).toEqual({ ok: true, value: undefined });
    expect(hooks).toEqual(["off"]);
  });

  test("powerOn: the on hook, then AT every pollInterval until the modem answers, then init", () => {
    const clock = new FakeClock();
    const serial = new FakeSerial(clock);
    const engine = new AtEngine({ serial, clock });
    const modem = createModem("sim7080", engine, { clock, pollInterval: 100, bootTimeout: 1000, power: { on: (done) => clock.setTimeout(done, 50) } });
    let out: Outcome<void> | undefined;
    modem.power.powerOn((o) => (out = o));
    clock.advance(400); // three AT probes time out unanswered
    expect(serial.writes.filter((w) => w === "AT\r").length).toBeGreaterThanOrEqual(2);
    serial.reply("AT\r", OK, 1);
    serial.reply("ATE0\r", OK, 1);
    serial.reply("AT+CMEE=2\r", OK, 1);
    serial.reply("AT+CPIN?\r", line("+CPIN: READY") + OK, 1);
    serial.reply("AT\r", OK, 1);
    clock.advance(300);
    expect(out).toEqual({ ok: true, value: undefined });
  });

  test("powerOff: ERROR to AT+CPWROFF is a typed failure", () => {
    const r = rig("sara-r4");
    r.on("AT+CPWROFF\r", "\r\nERROR\r\n");
    const o = run(r, (cb) => r.modem.power.powerOff(cb));
    expect(o.ok ? null : o.error).toMatchObject({ kind: "at", command: "AT+CPWROFF" });
  });
});
