/** Encoder behaviour: alphabet choice, segmentation limits and boundaries, options, errors. */
import { decodePdu, encodeSubmit, PduDecodeError, tpduLength } from "../../host-tools/pdu/index.js";

const TO = "+31612345678";

describe("encodeSubmit segmentation", () => {
  test.each([
    ["160 GSM characters fit one part", "a".repeat(160), 1],
    ["161 need two parts of ≤153", "a".repeat(161), 2],
    ["306 = 2 × 153", "a".repeat(306), 2],
    ["307 need three", "a".repeat(307), 3],
    ["70 UCS2 units fit one part", "中".repeat(70), 1],
    ["71 need two parts of ≤67", "中".repeat(71), 2],
  ])("%s", (_name, text, parts) => {
    const out = encodeSubmit({ to: TO, text });
    expect(out).toHaveLength(parts);
    const decoded = out.map((p) => decodePdu(p));
    expect(decoded.map((d) => d.text).join("")).toBe(text);
    if (parts > 1) {
      decoded.forEach((d, i) => expect(d.udh?.concat).toEqual({ ref: 0, total: parts, seq: i + 1, ref_bits: 8 }));
      // TS 23.040 §9.2.3.24: a 6-octet header leaves 153 septets (7 septets of header incl. 1 fill bit).
      expect(decoded[0]?.udl).toBeLessThanOrEqual(160);
    }
  });

  test("an escaped character is never split across parts", () => {
    const text = "a".repeat(152) + "€" + "b".repeat(10); // 164 septets: two parts of ≤153
    const out = encodeSubmit({ to: TO, text }).map((p) => decodePdu(p));
    expect(out[0]?.text).toBe("a".repeat(152)); // '€' needs 2 septets; only 1 was left
    expect(out[1]?.text).toBe("€" + "b".repeat(10));
  });

  test("a surrogate pair is never split across parts", () => {
    const text = "x".repeat(66) + "😀" + "y".repeat(5); // 146 octets: two parts of ≤134
    const out = encodeSubmit({ to: TO, text }).map((p) => decodePdu(p));
    expect(out[0]?.text).toBe("x".repeat(66));
    expect(out[1]?.text).toBe("😀yyyyy");
  });

  test("16-bit reference and ports", () => {
    const out = encodeSubmit({ to: TO, text: "z".repeat(200), concat16: true, ref: 0x1234, ports: { dest: 2948, src: 9200 } });
    const d = decodePdu(out[0] as string);
    expect(d.udh).toEqual({ concat: { ref: 0x1234, total: 2, seq: 1, ref_bits: 16 }, ports: { dest: 2948, src: 9200, bits: 16 } });
  });

  test("options reach the TPDU: status report, validity, class, SMSC, message ref", () => {
    const [hex] = encodeSubmit({ to: "2936", text: "ping", statusReport: true, validityMinutes: 60, messageClass: 1, smsc: "+31624000000", messageRef: 7 });
    const d = decodePdu(hex as string);
    expect(d).toMatchObject({
      smsc: "+31624000000",
      status_report_request: true,
      message_ref: 7,
      destination: "2936",
      destination_toa: 0x81,
      dcs: 0x11,
      validity_period: { format: "relative", value: 11, seconds: 3600 },
      text: "ping",
    });
    expect(tpduLength(hex as string)).toBe(hex!.length / 2 - 8);
  });

  test("alphanumeric destination uses TOA 0xD0", () => {
    const d = decodePdu(encodeSubmit({ to: "Simcmd", text: "hi" })[0] as string);
    expect(d).toMatchObject({ destination: "Simcmd", destination_toa: 0xd0 });
  });

  test.each([
    [{ to: TO }, "missing-field"],
    [{ to: TO, text: "a", dataHex: "00" }, "missing-field"],
    [{ to: TO, text: "中", alphabet: "gsm7" as const }, "unencodable-text"],
    [{ to: "+1234567890123456789012", text: "a" }, "address-too-long"],
    [{ to: TO, dataHex: "0G" }, "invalid-hex"],
    [{ to: TO, text: "a".repeat(2000), maxParts: 3 }, "too-many-parts"],
  ])("bad options give a typed error: %j → %s", (options, code) => {
    expect(() => encodeSubmit(options)).toThrow(PduDecodeError);
    try {
      encodeSubmit(options);
    } catch (e) {
      expect((e as PduDecodeError).code).toBe(code);
    }
  });
});
