/**
 * Replays an AT transcript (test/fixtures/at/*.txt) through the engine and compares what
 * happened with what the transcript expects. One directive per line:
 *
 *   # text                 comment (sources, notes)
 *   urc PREFIX [lines=N] [data=NAME]   register a URC handler (records a U event)
 *   @ {json}               options for the next `>`: SendOptions, with payload as "text:…"
 *                          or "hex:…" and data as a DATA name below
 *   > AT+CSQ               engine.send("AT+CSQ"); expects the write "AT+CSQ\r"
 *   < +CSQ: 15,0           the modem sends "\r\n+CSQ: 15,0\r\n" (V.250 §5.7.1 framing)
 *   << bytes               the modem sends exactly these bytes (escapes \r \n \\ \xNN)
 *   T 5000                 the clock moves 5000 ms
 *   W bytes                expected write (escapes), e.g. a payload at the prompt
 *   = {json}               expected result: {kind, code?, message?, lines?, data?: [hex]}
 *   U ["line", …] [hex]    expected URC delivery (lines, payload hex)
 *   ? text                 expected onUnhandled line
 *   E kind code            expected onError
 *
 * `replay` takes a chunker so the same transcript can be fed whole, byte by byte, or split
 * anywhere: the events must not change.
 */
import fs from "node:fs";
import { AtEngine, splitParams, parseDecimal, type AtResult, type DataLength, type SendOptions, type UrcOptions } from "../../firmware/at/index.js";
import { FakeClock } from "./fake-clock.js";
import { FakeSerial, bytesOf, stringOf } from "./fake-serial.js";
import { hexOf } from "./random.js";

/** Payload-length functions a driver would write, by name. */
export const DATA: Record<string, DataLength> = {
  // BG96 AT+QIRD: "+QIRD: <len>" then <len> octets (complete line).
  qird: (h, complete) => (complete ? Math.max(0, parseDecimal(splitParams(h)[0] ?? "")) : -1),
  // BG96 push mode: +QIURC: "recv",<id>,<len>,"<ip>",<port><CR><LF><data>; buffer mode has no <len>.
  "qiurc-recv": (h, complete) => {
    if (!complete) return -1;
    const p = splitParams(h);
    return p[0] === "recv" && p.length >= 3 ? Math.max(0, parseDecimal(p[2] ?? "")) : 0;
  },
  // SIM7080 AT+CARECV: "+CARECV: <len>,<data>": the header ends at the first comma.
  carecv: (h, complete) => {
    if (complete) return 0;
    if (h.charCodeAt(h.length - 1) !== 44) return -1;
    return Math.max(0, parseDecimal(splitParams(h.slice(0, -1))[0] ?? ""));
  },
  // SARA-R4 AT+USORF (binary): +USORF: <s>,"<ip>",<port>,<len>,"<data>": ends at the 4th comma's quote.
  usorf: (h, complete) => {
    if (complete) return 0;
    let commas = 0;
    for (const c of h) if (c === ",") commas++;
    if (commas < 4 || !h.endsWith(',"')) return -1;
    return Math.max(0, parseDecimal(splitParams(h.slice(0, -2))[3] ?? ""));
  },
};

export function unescape(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      out.push(s.charCodeAt(i) & 255);
      continue;
    }
    const n = s[++i];
    if (n === "r") out.push(13);
    else if (n === "n") out.push(10);
    else if (n === "\\") out.push(92);
    else if (n === "x") {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`bad escape \\${n} in ${s}`);
  }
  return out;
}

export function escape(bytes: number[]): string {
  let s = "";
  for (const b of bytes) {
    if (b === 13) s += "\\r";
    else if (b === 10) s += "\\n";
    else if (b === 92) s += "\\\\";
    else if (b >= 32 && b < 127) s += String.fromCharCode(b);
    else s += "\\x" + b.toString(16).padStart(2, "0").toUpperCase();
  }
  return s;
}

export type Action =
  | { op: "send"; command: string; options: SendOptions }
  | { op: "feed"; bytes: number[] }
  | { op: "advance"; ms: number }
  | { op: "urc"; prefix: string; options: UrcOptions };

export interface Transcript {
  name: string;
  actions: Action[];
  expected: string[];
  /** Every modem byte, in order. */
  modemBytes: number;
}

function resultEvent(r: AtResult): string {
  const o: Record<string, unknown> = { kind: r.kind };
  if (r.kind === "cme-error" || r.kind === "cms-error") {
    o["code"] = r.code;
    o["message"] = r.message;
  }
  o["lines"] = r.lines;
  o["data"] = r.data.map(hexOf);
  return "= " + JSON.stringify(o);
}

function normalResult(json: string): string {
  const e = JSON.parse(json) as Record<string, unknown>;
  const o: Record<string, unknown> = { kind: e["kind"] };
  if ("code" in e) o["code"] = e["code"];
  if ("message" in e) o["message"] = e["message"];
  o["lines"] = e["lines"] ?? [];
  o["data"] = e["data"] ?? [];
  return "= " + JSON.stringify(o);
}

function sendOptions(json: string): SendOptions {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const o: SendOptions = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "payload") {
      const p = v as string;
      o.payload = p.startsWith("hex:") ? Array.from(Buffer.from(p.slice(4), "hex")) : bytesOf(p.slice(5));
    } else if (k === "data") {
      const [prefix, name] = (v as string).split(" ");
      o.data = { prefix: prefix!, length: DATA[name!]! };
    } else (o as Record<string, unknown>)[k] = v;
  }
  return o;
}

export function parseTranscript(name: string, text: string): Transcript {
  const actions: Action[] = [];
  const expected: string[] = [];
  let options: SendOptions = {};
  let modemBytes = 0;
  const feed = (bytes: number[]): void => {
    actions.push({ op: "feed", bytes });
    modemBytes += bytes.length;
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) continue;
    const sp = line.indexOf(" ");
    const op = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? "" : line.slice(sp + 1);
    if (op === "urc") {
      const parts = rest.split(" ");
      const o: UrcOptions = {};
      for (const p of parts.slice(1)) {
        if (p.startsWith("lines=")) o.lines = Number(p.slice(6));
        else if (p.startsWith("data=")) o.data = DATA[p.slice(5)];
        else throw new Error(`${name}: bad urc option ${p}`);
      }
      actions.push({ op: "urc", prefix: parts[0]!.replace(/_/g, " "), options: o });
    } else if (op === "@") options = sendOptions(rest);
    else if (op === ">") {
      actions.push({ op: "send", command: rest, options });
      expected.push("W " + escape(bytesOf(rest + "\r")));
      options = {};
    } else if (op === "<") feed(bytesOf("\r\n" + rest + "\r\n"));
    else if (op === "<<") feed(unescape(rest));
    else if (op === "T") actions.push({ op: "advance", ms: Number(rest) });
    else if (op === "W") expected.push("W " + escape(unescape(rest)));
    else if (op === "=") expected.push(normalResult(rest));
    else if (op === "U") {
      const end = rest.lastIndexOf("]");
      const lines = JSON.parse(rest.slice(0, end + 1)) as string[];
      const hex = rest.slice(end + 1).trim();
      expected.push("U " + JSON.stringify(lines) + (hex === "" ? "" : " " + hex.toUpperCase()));
    } else if (op === "?") expected.push("? " + escape(bytesOf(rest)));
    else if (op === "E") expected.push("E " + rest);
    else throw new Error(`${name}: unknown directive ${JSON.stringify(line)}`);
  }
  return { name, actions, expected, modemBytes };
}

export function loadTranscript(path: string): Transcript {
  return parseTranscript(path.split("/").pop()!, fs.readFileSync(path, "latin1"));
}

/** Splits one feed into chunks; `offset` is the global index of its first modem byte. */
export type Chunker = (bytes: number[], offset: number) => number[][];

export const whole: Chunker = (bytes) => [bytes];

/** Runs a transcript; returns the events in order (same notation as the expectations). */
export function replay(t: Transcript, chunker: Chunker = whole, maxLineLength?: number): string[] {
  const events: string[] = [];
  const clock = new FakeClock();
  const serial = new FakeSerial(clock);
  const origWrite = serial.write.bind(serial);
  serial.write = (bytes: number[]) => {
    events.push("W " + escape(bytes));
    origWrite(bytes);
  };
  const engine = new AtEngine({
    serial,
    clock,
    maxLineLength,
    onUnhandled: (line) => events.push("? " + escape(bytesOf(line))),
    onError: (e) => events.push("E " + e.kind + " " + e.code),
  });
  let offset = 0;
  for (const a of t.actions) {
    if (a.op === "urc") {
      engine.onUrc(a.prefix, (lines, data) => events.push("U " + JSON.stringify(lines) + (data.length > 0 ? " " + hexOf(data) : "")), a.options);
    } else if (a.op === "send") engine.send(a.command, a.options, (r) => events.push(resultEvent(r)));
    else if (a.op === "advance") clock.advance(a.ms);
    else {
      for (const chunk of chunker(a.bytes, offset)) serial.emit(chunk);
      offset += a.bytes.length;
    }
  }
  return events;
}

export { stringOf };
