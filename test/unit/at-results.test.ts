/** Final result codes (V.250 §5.7.1, 27.007 §9.2, 27.005 §3.2.5) and parameter splitting. */
import { parseDecimal, parseFinal, splitParams } from "../../firmware/at/index.js";

test.each([
  ["OK", { kind: "ok" }],
  ["ERROR", { kind: "error" }],
  ["NO CARRIER", { kind: "no-carrier" }],
  ["BUSY", { kind: "busy" }],
  ["NO ANSWER", { kind: "no-answer" }],
  ["NO DIALTONE", { kind: "no-dialtone" }],
  ["+CME ERROR: 10", { kind: "cme-error", code: 10, message: "10" }],
  ["+CME ERROR:3", { kind: "cme-error", code: 3, message: "3" }],
  ["+CME ERROR: SIM not inserted", { kind: "cme-error", code: -1, message: "SIM not inserted" }],
  ["+CMS ERROR: 304", { kind: "cms-error", code: 304, message: "304" }],
  ["+CMS ERROR: unknown error", { kind: "cms-error", code: -1, message: "unknown error" }],
])("%s is a final result code", (line, expected) => {
  expect(parseFinal(line)).toEqual(expected);
});

test.each(["OK ", "ok", "OKAY", "+CMGS: 5", "CONNECT", "RING", "", "SEND OK"])("%j is not", (line) => {
  expect(parseFinal(line)).toBeNull();
});

test.each([
  ['+CMTI: "SM",3', ["SM", "3"]],
  ['+COPS: 0,0,"Indosat, Ooredoo",7', ["0", "0", "Indosat, Ooredoo", "7"]],
  ["+CSQ: 15, 99", ["15", "99"]],
  ["+CMT: ,31", ["", "31"]],
  ["+CGATT: 1", ["1"]],
  ["+CPIN:", []],
  ['+QIURC: "recv",0,5,"100.64.0.1",6969', ["recv", "0", "5", "100.64.0.1", "6969"]],
  ["867962040000000", ["867962040000000"]],
])("splitParams(%j)", (line, expected) => {
  expect(splitParams(line)).toEqual(expected);
});

test("parseDecimal takes digits only", () => {
  expect(parseDecimal("0")).toBe(0);
  expect(parseDecimal("1500")).toBe(1500);
  expect(parseDecimal("")).toBe(-1);
  expect(parseDecimal("12a")).toBe(-1);
  expect(parseDecimal("-1")).toBe(-1);
  expect(parseDecimal("9999999999")).toBe(-1); // too long to be a count
});
