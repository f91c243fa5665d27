/** AtEngine API: queueing, callbacks, prompts and cancel, payload limits, URC plumbing, options. */
import { AtEngine, CTRL_Z, ESC, type AtError, type AtResult, type SendOptions } from "../../firmware/at/index.js";
import { sendAsync } from "../../firmware/at/promise.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSerial, bytesOf } from "../helpers/fake-serial.js";

function setup(extra: { maxLineLength?: number; maxDataLength?: number; dataTimeout?: number } = {}) {
  const clock = new FakeClock();
  const serial = new FakeSerial(clock);
  const unhandled: string[] = [];
  const errors: AtError[] = [];
  const at = new AtEngine({ serial, clock, ...extra, onUnhandled: (l) => unhandled.push(l), onError: (e) => errors.push(e) });
  const results: AtResult[] = [];
  const send = (cmd: string, o?: SendOptions) => at.send(cmd, o, (r) => results.push(r));
  return { clock, serial, at, unhandled, errors, results, send };
}

test("one command in flight: the next is written only after the first ends", () => {
  const t = setup();
  t.send("AT+CSQ", { prefix: "+CSQ:" });
  t.send("AT+CREG?", { prefix: "+CREG:" });
  expect(t.serial.writes).toEqual(["AT+CSQ\r"]);
  expect(t.at.busy()).toBe(true);
  expect(t.at.queued()).toBe(1);
  t.serial.emit("\r\n+CSQ: 15,99\r\n\r\nOK\r\n");
  expect(t.serial.writes).toEqual(["AT+CSQ\r", "AT+CREG?\r"]);
  t.serial.emit("\r\n+CREG: 0,1\r\n\r\nOK\r\n");
  expect(t.results).toEqual([
    { kind: "ok", lines: ["+CSQ: 15,99"], data: [] },
    { kind: "ok", lines: ["+CREG: 0,1"], data: [] },
  ]);
  expect(t.at.busy()).toBe(false);
});

test("the callback is never called from inside send", () => {
  const t = setup();
  t.serial.reply("AT\r", "\r\nOK\r\n", 0);
  let inside = true;
  t.at.send("AT", null, () => expect(inside).toBe(false));
  inside = false;
  t.clock.advance(0);
});

test("a callback may send the next command", () => {
  const t = setup();
  t.serial.reply("AT+CMGF=0\r", "\r\nOK\r\n", 5).reply("AT+CNMI=2,1\r", "\r\nOK\r\n", 5);
  t.at.send("AT+CMGF=0", null, (r) => {
    t.results.push(r);
    t.send("AT+CNMI=2,1");
  });
  t.clock.advance(10);
  expect(t.serial.writes).toEqual(["AT+CMGF=0\r", "AT+CNMI=2,1\r"]);
  expect(t.results.map((r) => r.kind)).toEqual(["ok", "ok"]);
});

test("default timeout is 5000 ms; a per-command timeout overrides it", () => {
  const t = setup();
  t.send("AT");
  t.clock.advance(4999);
  expect(t.results).toEqual([]);
  t.clock.advance(1);
  expect(t.results).toEqual([{ kind: "timeout", lines: [], data: [] }]);
  t.send("AT+COPS=?", { timeout: 180000 });
  t.clock.advance(179999);
  expect(t.results).toHaveLength(1);
  t.clock.advance(1);
  expect(t.results[1]?.kind).toBe("timeout");
  expect(t.clock.pending()).toBe(0);
});

test("cancel before the prompt: ESC instead of the payload (27.005 §3.5.1)", () => {
  const t = setup();
  t.send("AT+CMGS=24", { payload: bytesOf("0011"), terminator: CTRL_Z });
  expect(t.at.cancel()).toBe(true);
  t.serial.emit("\r\n> ");
  expect(t.serial.writes).toEqual(["AT+CMGS=24\r", String.fromCharCode(ESC)]);
  expect(t.at.cancel()).toBe(false); // the prompt has been answered
  t.serial.emit("\r\nOK\r\n");
  expect(t.results).toEqual([{ kind: "ok", lines: [], data: [] }]);
});

test("cancel without a data command in flight does nothing", () => {
  const t = setup();
  expect(t.at.cancel()).toBe(false);
  t.send("AT");
  expect(t.at.cancel()).toBe(false);
});

test("echo on: the echoed payload (with its Ctrl-Z) is not a response line", () => {
  const t = setup();
  t.send("AT+CMGS=1", { prefix: "+CMGS:", payload: bytesOf("00"), terminator: CTRL_Z });
  t.serial.emit("AT+CMGS=1\r\r\n> ");
  expect(t.serial.lastWrite()).toBe("00\x1a");
  t.serial.emit("00\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n");
  expect(t.results).toEqual([{ kind: "ok", lines: ["+CMGS: 7"], data: [] }]);
});

test("a prompt that comes while no payload is due is just a line", () => {
  const t = setup();
  t.send("AT");
  t.serial.emit("\r\n> \r\nOK\r\n");
  expect(t.results).toEqual([{ kind: "ok", lines: ["> "], data: [] }]);
});

test("an over-long line gives a malformed error and the engine carries on (default limit 1024)", () => {
  const t = setup();
  t.send("AT+CMGL=4", { prefix: "+CMGL:" });
  t.serial.emit("\r\n+CMGL: 1,0,,160\r\n" + "A".repeat(1025) + "\r\n");
  t.serial.emit("\r\n" + "B".repeat(1024) + "\r\n\r\nOK\r\n");
  expect(t.errors).toEqual([{ kind: "malformed", code: "line-too-long", message: expect.stringContaining("1024") }]);
  expect(t.results).toEqual([{ kind: "ok", lines: ["+CMGL: 1,0,,160", "B".repeat(1024)], data: [] }]);
});

test("a payload over maxDataLength is refused (malformed) and not read", () => {
  const t = setup({ maxDataLength: 8 });
  const got: number[][] = [];
  t.at.onUrc("+QIURC:", (_l, d) => got.push(d), { data: (h, c) => (c && h.indexOf('"recv",0,9') > 0 ? 9 : 0) });
  t.serial.emit('\r\n+QIURC: "recv",0,9\r\n');
  expect(t.errors.map((e) => e.kind + " " + e.code)).toEqual(["malformed data-too-long"]);
  expect(got).toEqual([[]]); // delivered without a payload
});

test("a payload that stops arriving is abandoned after dataTimeout (incomplete)", () => {
  const t = setup({ dataTimeout: 100 });
  const got: string[][] = [];
  t.at.onUrc("+QIURC:", (l) => got.push(l), { data: (_h, c) => (c ? 4 : -1) });
  t.serial.emit('\r\n+QIURC: "recv",0,4\r\nab');
  t.clock.advance(100);
  expect(t.errors.map((e) => e.kind + " " + e.code)).toEqual(["incomplete data-timeout"]);
  expect(got).toEqual([]);
  t.serial.emit("\r\n+QIURC: x\r\n\r\n\r\n\r\n"); // line mode again: a new URC with its 4 octets
  expect(got).toEqual([["+QIURC: x"]]);
});

test("a command that ends while its payload is still arriving reports the payload as incomplete", () => {
  const t = setup();
  t.send("AT+QIRD=0", { prefix: "+QIRD:", timeout: 50, data: { prefix: "+QIRD:", length: (h, c) => (c ? 100 : -1) } });
  t.serial.emit("\r\n+QIRD: 100\r\nabc");
  t.clock.advance(50);
  expect(t.results).toEqual([{ kind: "timeout", lines: ["+QIRD: 100"], data: [] }]);
  expect(t.errors.map((e) => e.code)).toEqual(["data-timeout"]);
});

test("a two-line URC cut short by the command's final code is delivered with what it has", () => {
  const t = setup();
  const urcs: string[][] = [];
  t.at.onUrc("+CMT:", (l) => urcs.push(l), { lines: 2 });
  t.send("AT");
  t.serial.emit("\r\n+CMT: ,31\r\n\r\nOK\r\n");
  expect(urcs).toEqual([["+CMT: ,31"]]);
  expect(t.results.map((r) => r.kind)).toEqual(["ok"]);
});

test("offUrc: the prefix goes back to onUnhandled; the longest prefix wins", () => {
  const t = setup();
  const seen: string[] = [];
  t.at.onUrc("+QIURC:", (l) => seen.push("any " + l[0]));
  t.at.onUrc('+QIURC: "closed"', (l) => seen.push("closed " + l[0]));
  t.serial.emit('\r\n+QIURC: "closed",1\r\n+QIURC: "pdpdeact",1\r\n');
  expect(t.at.offUrc("+QIURC:")).toBe(true);
  expect(t.at.offUrc("+QIURC:")).toBe(false);
  t.serial.emit('\r\n+QIURC: "pdpdeact",1\r\n');
  expect(seen).toEqual(['closed +QIURC: "closed",1', 'any +QIURC: "pdpdeact",1']);
  expect(t.unhandled).toEqual(['+QIURC: "pdpdeact",1']);
});

test("options are checked: a TypeError names the bad one", () => {
  const clock = new FakeClock();
  const serial = new FakeSerial(clock);
  expect(() => new AtEngine({ serial, clock, timeout: 0 })).toThrow('"timeout" must be a positive number');
  expect(() => new AtEngine({ serial, clock, maxLineLength: -1 })).toThrow(TypeError);
  const at = new AtEngine({ serial, clock });
  expect(() => at.send("AT", { timeout: NaN }, () => {})).toThrow('"timeout"');
});

test("sendAsync resolves with the result", async () => {
  const t = setup();
  t.serial.reply("AT+CGSN\r", "\r\n867962040000000\r\n\r\nOK\r\n", 10);
  const p = sendAsync(t.at, "AT+CGSN");
  t.clock.advance(10);
  await expect(p).resolves.toEqual({ kind: "ok", lines: ["867962040000000"], data: [] });
});
