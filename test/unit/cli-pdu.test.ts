/** `simcmd pdu decode|encode` as its --help and docs/pdu.md describe it. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cli } from "../helpers/cli.js";

const DELIVER = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
const SUBMIT_BARE = "0001000B915121551532F400000CC8F79D9C07E54F61363B04";

describe("simcmd pdu decode", () => {
  test("one PDU prints one object", async () => {
    const r = await cli(["pdu", "decode", DELIVER]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ type: "deliver", smsc: "+31624000000", smsc_toa: 145, originator: "+31641600986", text: "How are you?" });
  });

  test("several PDUs print an array; --no-smsc reads a bare TPDU", async () => {
    const r = await cli(["pdu", "decode", "--no-smsc", SUBMIT_BARE.slice(2), SUBMIT_BARE.slice(2)]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ type: "submit", smsc: null, destination: "+15125551234", text: "Howdy y'all!" });
  });

  test("--direction mo reads MTI 0 as DELIVER-REPORT", async () => {
    const r = await cli(["pdu", "decode", "--no-smsc", "--direction", "mo", "0000"]);
    expect(JSON.parse(r.out)).toMatchObject({ type: "deliver-report", parameter_indicator: 0 });
  });

  test("malformed input prints the error object and exits non-zero", async () => {
    const r = await cli(["pdu", "decode", "07911326040000F0040B9113466100"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ error: { code: "truncated", message: expect.stringContaining("octet") } });
    const bad = await cli(["pdu", "decode", "ZZ"]);
    expect(JSON.parse(bad.out).error.code).toBe("invalid-hex");
  });

  test("--jsonl: one result per line, bad lines reported, the run continues", async () => {
    const r = await cli(["pdu", "decode", "--jsonl"], [
      DELIVER,
      "",
      JSON.stringify({ pdu: SUBMIT_BARE.slice(2), smsc: false, direction: "mo" }),
      "not hex",
      "{broken json",
      DELIVER.slice(0, 20),
    ]);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0].type).toBe("deliver");
    expect(lines[1].type).toBe("submit");
    expect(lines[2].error.code).toBe("odd-length");
    expect(lines[3].error.code).toBe("invalid-json");
    expect(lines[4].error.code).toBe("truncated");
  });

  test("usage errors exit 2 with a message", async () => {
    expect((await cli(["pdu", "decode"])).code).toBe(2);
    const r = await cli(["pdu", "decode", "--runtime", "python", DELIVER]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--runtime must be node, xs or lua");
    expect((await cli(["pdu", "decode", "--bogus", DELIVER])).code).toBe(2);
    expect((await cli(["pdu", "frobnicate"])).code).toBe(2);
    expect((await cli(["nonsense"])).code).toBe(2);
  });

  test("--help documents every option", async () => {
    const r = await cli(["pdu", "decode", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--no-smsc", "--direction", "--runtime", "--jsonl"]) expect(r.out).toContain(flag);
  });
});

describe("simcmd pdu encode", () => {
  test("prints one PDU per part that decodes back to the text", async () => {
    const text = "Long message ".repeat(20);
    const r = await cli(["pdu", "encode", "--to", "+31612345678", "--text", text, "--ref", "42"]);
    expect(r.code).toBe(0);
    const parts = r.out.trim().split("\n");
    expect(parts).toHaveLength(2);
    const decoded = await cli(["pdu", "decode", ...parts]);
    const objs = JSON.parse(decoded.out);
    expect(objs.map((o: { text: string }) => o.text).join("")).toBe(text);
    expect(objs[1].udh.concat).toEqual({ ref: 42, total: 2, seq: 2, ref_bits: 8 });
  });

  test("--json gives tpdu_length for AT+CMGS", async () => {
    const r = await cli(["pdu", "encode", "--to", "2936", "--text", "ping", "--json"]);
    const { parts } = JSON.parse(r.out);
    expect(parts[0].pdu.startsWith("00")).toBe(true);
    expect(parts[0].tpdu_length).toBe(parts[0].pdu.length / 2 - 1);
  });

  test("--from-json encodes a decoded SMS-DELIVER back to its octets", async () => {
    const d = await cli(["pdu", "decode", DELIVER]);
    const r = await cli(["pdu", "encode", "--from-json"], d.out.split("\n"));
    expect(r.out.trim()).toBe(DELIVER);
  });

  test("bad options: usage error (2) or typed codec error (1)", async () => {
    expect((await cli(["pdu", "encode", "--text", "x"])).code).toBe(2);
    expect((await cli(["pdu", "encode", "--to", "1", "--text", "x", "--class", "9"])).code).toBe(2);
    // integer flags are digits only: Number() would take these as 100, 12, 1 and 0
    for (const ref of ["1e2", " 12", "1.0", "0x0"]) {
      const bad = await cli(["pdu", "encode", "--to", "1", "--text", "x", "--ref", ref]);
      expect([bad.code, bad.err]).toEqual([2, expect.stringContaining(`--ref must be an integer from 0 to 255, got '${ref}'`)]);
    }
    const r = await cli(["pdu", "encode", "--to", "1", "--text", "中", "--alphabet", "gsm7"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe("unencodable-text");
  });
});

test("the installed bin runs as a real process", () => {
  const bin = fileURLToPath(new URL("../../bin/simcmd.js", import.meta.url));
  const r = spawnSync(process.execPath, [bin, "pdu", "decode", DELIVER], { encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).originator).toBe("+31641600986");
});
