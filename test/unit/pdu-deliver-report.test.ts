/** SMS-DELIVER-REPORT building (TS 23.040 §9.2.2.1a) and the virtual modem's SMSC field, from fixture tables. */
import { bytesToHex } from "../../firmware/core/hex.js";
import { deliverReport, FCS_MEMORY_EXCEEDED } from "../../firmware/core/pdu/deliver-report.js";
import { PduError } from "../../firmware/core/errors.js";
import { decodePdu } from "../../host-tools/pdu/index.js";
import { isSmscNumber, smscField } from "../../host-tools/virtual-modem/sms.js";

describe("deliverReport", () => {
  test.each([
    // [what, failure cause, octets, what the decoder reads back as the MS's TPDU]
    ["RP-ACK: first octet and TP-PI", undefined, "0000", { type: "deliver-report", parameter_indicator: 0 }],
    ["RP-ERROR memory capacity exceeded", FCS_MEMORY_EXCEEDED, "00D300", { type: "deliver-report", failure_cause: 0xd3, parameter_indicator: 0 }],
    ["RP-ERROR (U)SIM SMS storage full", 0xd0, "00D000", { type: "deliver-report", failure_cause: 0xd0, parameter_indicator: 0 }],
    ["RP-ERROR error in MS", 0xd2, "00D200", { type: "deliver-report", failure_cause: 0xd2, parameter_indicator: 0 }],
    ["RP-ERROR lowest value (telematic interworking not supported)", 0x80, "008000", { type: "deliver-report", failure_cause: 0x80 }],
    ["RP-ERROR unspecified error cause", 0xff, "00FF00", { type: "deliver-report", failure_cause: 0xff }],
  ])("%s", (_what, cause, hex, decoded) => {
    expect(bytesToHex(deliverReport(cause))).toBe(hex);
    expect(decodePdu(hex, { smsc: false, direction: "mo" })).toMatchObject(decoded);
  });

  test.each([
    ["a reserved value (bit 7 clear)", 0x7f],
    ["zero", 0],
    ["more than one octet", 0x1d3],
    ["negative", -1],
    ["not an integer", 200.5],
  ])("refuses a TP-FCS that is %s with a typed error", (_what, cause) => {
    let thrown: unknown;
    try {
      deliverReport(cause);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PduError);
    expect(thrown).toMatchObject({ kind: "malformed", code: "invalid-failure-cause" });
  });
});

describe("the virtual modem's SMSC field", () => {
  test.each([
    ["+15555550100", "07915155550501F0"],
    ["15555550100", "07915155550501F0"],
    ["+447700900123", "0791447700091032"],
    ["+1234", "03912143"],
    ["", "0191"],
    ["+12345678901234567890", "0B9121436587092143658709"],
  ])("%j → %s", (number, hex) => {
    expect(smscField(number)).toBe(hex);
    expect(isSmscNumber(number)).toBe(true);
  });

  test.each(["+1555x", "+123456789012345678901", "+1 555 0100", "++1"])("%j cannot be an SMSC number", (number) => {
    expect(isSmscNumber(number)).toBe(false);
  });
});
