/** LineSplitter alone: terminators, NULs, the bounded buffer, prompts and payload reads. */
import { LineSplitter, type SplitterSink } from "../../firmware/at/line-splitter.js";
import type { AtError } from "../../firmware/at/errors.js";
import { bytesOf } from "../helpers/fake-serial.js";

function harness(maxLine = 1024, header?: (open: string) => number) {
  const events: string[] = [];
  const sink: SplitterSink = {
    line: (t) => events.push("L " + t),
    prompt: () => events.push("P"),
    data: (b) => events.push("D " + JSON.stringify(b)),
    header: (open) => (header === undefined ? -1 : header(String.fromCharCode(...open))),
    error: (e: AtError) => events.push("E " + e.kind + " " + e.code),
  };
  const s = new LineSplitter(maxLine, sink);
  if (header !== undefined) s.watchHeaders = true;
  return { s, events, feed: (x: string) => s.feed(bytesOf(x)) };
}

test("CR LF, LF alone and a lone CR all end a line; empty lines are not reported", () => {
  const h = harness();
  h.feed("\r\nOK\r\n\r\n\nA\nB\rC\r\r\n");
  expect(h.events).toEqual(["L OK", "L A", "L B", "L C"]);
});

test("a CR LF split across chunks is one terminator", () => {
  const h = harness();
  h.feed("OK\r");
  expect(h.events).toEqual([]); // a lone CR waits for the next byte
  h.feed("\nX\r");
  h.feed("\n");
  expect(h.events).toEqual(["L OK", "L X"]);
});

test("NUL bytes outside payloads are dropped (SARA-R4 after reboot)", () => {
  const h = harness();
  h.feed("\0\0\r\nO\0K\r\n");
  expect(h.events).toEqual(["L OK"]);
});

test("an over-long line is reported once, dropped to its LF, and the next line is fine", () => {
  const h = harness(8);
  h.feed("12345678\r\n"); // exactly the limit
  h.feed("123456789abcdef");
  h.feed("ghij\r\nOK\r\n");
  expect(h.events).toEqual(["L 12345678", "E malformed line-too-long", "L OK"]);
});

test("the buffer never grows past the limit, however long the garbage", () => {
  const h = harness(16);
  for (let i = 0; i < 1000; i++) h.s.feed(bytesOf("x".repeat(100)));
  expect(h.s.openLength()).toBeLessThanOrEqual(16);
  expect(h.events).toEqual(["E malformed line-too-long"]);
});

test("an armed prompt fires at the start of a line, once, and swallows one space", () => {
  const h = harness();
  h.s.expectPrompt(0x3e);
  h.feed("\r\n> ");
  h.feed("X\r\n> \r\n");
  expect(h.events).toEqual(["P", "L X", "L > "]); // disarmed after the first: a plain line
});

test("a payload read after a line takes exactly N bytes, CR/LF included", () => {
  const h = harness();
  const sink = h.s as unknown as { sink: SplitterSink };
  const line = sink.sink.line;
  sink.sink.line = (t) => {
    line(t);
    if (t === "+QIRD: 4") h.s.readData(4);
  };
  h.feed("\r\n+QIRD: 4\r\n\r\nOK");
  h.feed("\r\nOK\r\n");
  expect(h.events).toEqual(["L +QIRD: 4", "D [13,10,79,75]", "L OK"]);
});

test("a header inside a line starts a payload; the rest of that line is dropped", () => {
  // 0: ask again after the next byte; -1: this line has no payload.
  const h = harness(1024, (open) => (open === "+CARECV: 3," ? 3 : open.startsWith("+CARECV:") || "+CARECV:".startsWith(open) ? 0 : -1));
  h.feed("\r\n+CARECV: 3,a\r\n\"tail\r\nOK\r\n");
  expect(h.events).toEqual(["D [97,13,10]", "L OK"]);
});

test("abortData returns what was read and goes back to lines", () => {
  const h = harness();
  h.s.readData(10);
  h.feed("abc");
  expect(h.s.readingData()).toBe(true);
  expect(h.s.abortData()).toEqual([97, 98, 99]);
  h.feed("\r\nOK\r\n");
  expect(h.events).toEqual(["L OK"]);
});
