/**
 * `simcmd flash --target espruino` against a virtual Espruino console on a real pty
 * (test/helpers/espruino-console.ts): the upload lands byte for byte in Storage, each chunk
 * acknowledged, the CRC is checked, load() runs the agent — or the modem agent of one family, whose
 * start line sets up the UART; progress as one line per step, JSON steps, or a bar on a terminal; and
 * the failures (CRC mismatch, silence, no port, no bundle) and usage errors.
 */
import { PassThrough } from "node:stream";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { byteStringLiteral, FlashError, modemStartLine, planEspruinoFlash } from "../../host-tools/flash/espruino.js";
import { run } from "../../host-tools/cli/main.js";
import { crc32 } from "../../host-tools/flash/crc32.js";
import { builtFile, ROOT } from "../conformance/espruino-vm.js";
import { cli } from "../helpers/cli.js";
import { EspruinoConsole, type EspruinoConsoleOptions } from "../helpers/espruino-console.js";

const agentFile = builtFile("dist/firmware/espruino/agent.js");
const agent = fs.readFileSync(agentFile);
/** What is uploaded by default: the bundle, then the line that starts the agent at boot. */
const uploaded = Buffer.concat([agent, Buffer.from("\nsimcmdAgent.start();\n")]);
const chunks = Math.ceil(uploaded.length / 512);

async function withConsole<T>(options: EspruinoConsoleOptions, f: (c: EspruinoConsole) => Promise<T>): Promise<T> {
  const c = await EspruinoConsole.open(options);
  try {
    return await f(c);
  } finally {
    await c.close();
  }
}

test("crc32 is CRC-32/ISO-HDLC", () => {
  expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  expect(crc32(Buffer.alloc(0))).toBe(0);
});

test("flashes the agent bundle and its start line: Storage holds exactly those bytes, the CRC matches, at boot the agent starts", async () => {
  await withConsole({}, async (board) => {
    board.files.set("simcmd.json", Buffer.from(JSON.stringify({ devicePort: 7001 }))); // as simcmd provision writes it
    const r = await cli(["flash", "--target", "espruino", "--port", board.path]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`CRC-32 ${crc32(uploaded)} verified`);
    await board.rebooted(1);
    // The protocol: Ctrl-C twice, echo(0), DLE-prefixed Storage.write lines, the CRC query, load().
    expect(board.received.startsWith("\x03\x03echo(0)\n")).toBe(true);
    expect(board.bootWrites).toEqual(Array.from({ length: chunks }, (_, i) => i * 512));
    expect(board.lines.filter((l) => l.includes('require("Storage").write(".bootcde",'))).toHaveLength(chunks);
    // One line per step on stdout (no terminal), after the plan.
    expect(r.out).toContain(`upload: ${uploaded.length} bytes written in ${chunks} acknowledged chunks\n`);
    expect(r.out.match(/^(open|connect|upload|verify|reboot): .*$/gm)?.map((l) => l.split(":")[0])).toEqual(["open", "connect", "upload", "verify", "reboot"]);
    expect(board.lines.some((l) => l.includes("E.CRC32(require(\"Storage\").read(\".bootcde\"))"))).toBe(true);
    expect(board.lines.at(-1)).toBe("load()");
    expect(board.output).not.toContain("Uncaught");
    expect(Buffer.compare(board.files.get(".bootcde")!, uploaded)).toBe(0);
    expect(board.reboots).toBe(1);
    expect(board.bootError).toBeUndefined();
    // Booting ran the bundle and its start line: the agent read simcmd.json and bound its port, untouched.
    expect(board.evaluate("typeof simcmdAgent.start")).toBe("function");
    expect(board.storageReads).toContain("simcmd.json");
    expect(board.dgramBinds).toEqual([7001]);
  });
});

test("--no-start uploads the bundle alone (nothing starts at boot); --start JS is appended as given", async () => {
  await withConsole({}, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--no-start"]);
    expect(r.code).toBe(0);
    await board.rebooted(1);
    expect(Buffer.compare(board.files.get(".bootcde")!, agent)).toBe(0);
    expect(board.dgramBinds).toEqual([]);
  });
  const start = "Serial2.setup(9600);simcmdModemAgent.start({serial: Serial2});";
  const j = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999", "--dry-run", "--json", "--bundle", "modem-agent", "--modem", "sim7080", "--start", start]);
  expect(j.code).toBe(0);
  const modemAgent = fs.readFileSync(builtFile("dist/firmware/espruino/modem-agent-sim7080.js"));
  expect(JSON.parse(j.out).plan).toMatchObject({ start, bundle: { bytes: modemAgent.length + start.length + 2 } });
  expect((await cli(["flash", "--target", "espruino", "--port", "/dev/null", "--start", "x()", "--no-start"])).code).toBe(2);
});

test("--json and --no-reboot: one JSON result, echo back on, no load()", async () => {
  await withConsole({}, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--no-reboot", "--json", "--chunk-size", "4096"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      ok: true, target: "espruino", port: board.path, bundle: "agent", modem: null, bytes: uploaded.length, chunks: Math.ceil(uploaded.length / 4096), crc32: crc32(uploaded), rebooted: false,
    });
    // The steps, one JSON object each, on stderr.
    expect(r.err.trim().split("\n").map((l) => JSON.parse(l))).toEqual(["open", "connect", "upload", "verify", "reboot"].map((step) => ({ step, done: true })));
    await board.evaluated("echo(1)"); // the last line: it may still be on its way when the CLI returns
    expect(board.lines.at(-1)).toBe("echo(1)");
    expect(Buffer.compare(board.files.get(".bootcde")!, uploaded)).toBe(0);
    expect(board.reboots).toBe(0);
  });
});

test("a corrupted chunk: exit 1, CRC mismatch naming expected and actual", async () => {
  await withConsole({ corruptWrite: 2 }, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path]);
    expect(r.code).toBe(1);
    const actual = crc32(board.files.get(".bootcde")!);
    expect(actual).not.toBe(crc32(uploaded));
    expect(r.err).toContain(`CRC-32 mismatch for .bootcde: expected ${crc32(uploaded)}`);
    expect(r.err).toContain(`the board has ${actual}`);
    expect(board.reboots).toBe(0);
    expect(board.lines).not.toContain("load()");
  });
});

test("an error printed by the board stops the flash at that step", async () => {
  await withConsole({}, async (board) => {
    // A board whose Storage is full: Storage.write throws there.
    board.evaluate("var req = require; require = function (n) { var s = req(n); if (n === 'Storage') s.write = function () { throw new Error('Not enough free space'); }; return s; };");
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--json"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("upload: the board reported: Uncaught Error: Not enough free space");
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, step: "upload" });
  });
});

test("a chunk the board does not write (Storage.write answers false): exit 1 at upload, nothing more sent", async () => {
  await withConsole({}, async (board) => {
    board.evaluate("var req = require; require = function (n) { var s = req(n); if (n === 'Storage') { var w = s.write; s.write = function (f, d, o, z) { return o >= 1024 ? false : w(f, d, o, z); }; } return s; };");
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ ok: false, step: "upload", error: `upload: the board could not write bytes up to 1536 of ${uploaded.length} to .bootcde (Storage.write answered false)` });
    expect(board.bootWrites).toEqual([0, 512]); // the writes the stub let through; the third was refused and nothing followed it
    expect(board.lines.filter((l) => l.includes("Storage\").write(")).length).toBe(3);
    expect(board.lines).not.toContain("load()");
  });
});

test("a console that never answers: exit 1, no answer within the timeout", async () => {
  await withConsole({ silent: true }, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--timeout", "300"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("connect: no answer within 300 ms");
    expect(r.err).toContain(board.path);
    await board.receivedText("ready]"); // the connect lines reached the board, which kept silent
    expect(board.received.startsWith("\x03\x03echo(0)\n")).toBe(true);
    expect(board.received).not.toContain("Storage\").write"); // nothing uploaded to a silent port
  });
});

test("a port that cannot be opened: exit 1 naming it", async () => {
  const r = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999"]);
  expect(r.code).toBe(1);
  expect(r.err).toContain("cannot open /dev/pts/999999");
});

test("--dry-run prints the plan (steps, chunk count, CRC, default timeout) and opens nothing", async () => {
  const r = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999", "--dry-run"]);
  expect(r.code).toBe(0);
  expect(r.err).toBe("");
  expect(r.out).toContain(`${uploaded.length} bytes`);
  expect(r.out).toContain('at boot, after the bundle: "simcmdAgent.start();"');
  expect(r.out).toContain(`${chunks} chunks of up to 512 bytes`);
  expect(r.out).toContain(`N = ${crc32(uploaded)}`);
  expect(r.out).toContain("wait up to 5000 ms");
  expect(r.out).toMatch(/1\. open[\s\S]*2\. connect[\s\S]*3\. upload[\s\S]*4\. verify[\s\S]*5\. reboot[\s\S]*6\. close/);
  const j = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999", "--dry-run", "--json", "--bundle", "modem-agent", "--modem", "bg96", "--no-start"]);
  expect(j.code).toBe(0);
  const plan = JSON.parse(j.out).plan;
  const modemAgent = fs.readFileSync(builtFile("dist/firmware/espruino/modem-agent-bg96.js"));
  expect(plan).toMatchObject({ target: "espruino", baud: 9600, timeoutMs: 5000, chunks: Math.ceil(modemAgent.length / 512), bundle: { name: "modem-agent", modem: "bg96", bytes: modemAgent.length, crc32: crc32(modemAgent) } });
  // Every upload line is plain ASCII and, run as the board would, rebuilds the file byte for byte and
  // prints its acknowledgement: the end of the bytes written and Storage.write's answer.
  const upload = plan.steps[2].send as string[];
  expect(upload.every((l) => l.startsWith("\x10") && l.endsWith("\n") && /^[\x20-\x7e]*$/.test(l.slice(1, -1)))).toBe(true);
  let file = Buffer.alloc(0);
  const write = (_name: string, data: string, offset: number, size: number) => {
    if (offset === 0) file = Buffer.alloc(size, 0xff);
    Buffer.from(data, "latin1").copy(file, offset);
    return true;
  };
  const acks: string[] = [];
  for (const l of upload) vm.runInNewContext(l.slice(1), { require: () => ({ write }), print: (s: string) => acks.push(s) });
  expect(Buffer.compare(file, modemAgent)).toBe(0);
  expect(acks.at(-1)).toBe(`[simcmd:${plan.nonce} w ${modemAgent.length} true]`);
});

test("chunks are ASCII string literals whose bytes are exact on every Espruino build: \\xHH, never \\uXXXX", () => {
  // A build with Unicode support reads "\u00b1" as the two UTF-8 octets of U+00B1; "\xb1" is one octet on all.
  expect(byteStringLiteral(Uint8Array.from([0x61, 0xb1, 0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x01, 0x7f, 0xff]))).toBe('"a\\xb1\\"\\\\\\n\\r\\t\\x01\\x7f\\xff"');
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const literal = byteStringLiteral(all);
  expect(literal).not.toContain("\\u");
  expect(/^[\x20-\x7e]*$/.test(literal)).toBe(true);
  expect(Buffer.compare(Buffer.from(vm.runInNewContext(literal) as string, "latin1"), Buffer.from(all))).toBe(0);
});

test("a bundle that is not built: FlashError at step bundle telling to run npm run build", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-flash-"));
  try {
    let err: unknown;
    try {
      planEspruinoFlash({ root: empty, port: "/dev/null" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).step).toBe("bundle");
    expect((err as FlashError).message).toBe("dist/firmware/espruino/agent.js is not built: run `npm run build` first");
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("moddable: --dry-run prints the mcconfig plan; without mcconfig on PATH the run says so", async () => {
  const dry = await cli(["flash", "--target", "moddable", "--board", "esp32/moddable_two", "--dry-run"]);
  expect(dry.code).toBe(0);
  expect(dry.out).toContain(`mcconfig -d -m -p esp32/moddable_two ${path.join(ROOT, "dist/firmware/moddable/manifest.json")}`);
  const env = process.env["PATH"];
  process.env["PATH"] = "/nonexistent";
  try {
    const r = await cli(["flash", "--target", "moddable"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mcconfig is not on PATH: install the Moddable SDK/);
  } finally {
    process.env["PATH"] = env;
  }
});

test("the modem agent of one family: the start line sets up the UART and starts the agent on it, which talks AT at boot", async () => {
  await withConsole({}, async (board) => {
    const args = ["flash", "--target", "espruino", "--port", board.path, "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--rx", "D16", "--tx", "D17", "--baud", "115200", "--apn", "iot.example"];
    const r = await cli(args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    await board.rebooted(1);
    const start = 'Serial2.setup(115200,{rx:D16,tx:D17});simcmdModemAgent.start({serial:Serial2,apn:"iot.example"});';
    const bundle = fs.readFileSync(builtFile("dist/firmware/espruino/modem-agent-bg96.js"));
    expect(Buffer.compare(board.files.get(".bootcde")!, Buffer.concat([bundle, Buffer.from(`\n${start}\n`)]))).toBe(0);
    expect(board.bootError).toBeUndefined();
    expect(board.serialSetups).toEqual([{ port: "Serial2", baud: 115200, options: "{rx:D16,tx:D17}" }]);
    await board.serialWritten("Serial2", "AT\r"); // the bring-up's first command, on the modem's UART
  });
  expect(modemStartLine({ serial: "Serial3" })).toBe("Serial3.setup(115200);simcmdModemAgent.start({serial:Serial3});");
  expect(modemStartLine({ serial: "Serial2", rx: "D4", tx: "D5", baud: 9600 })).toBe("Serial2.setup(9600,{rx:D4,tx:D5});simcmdModemAgent.start({serial:Serial2});");
});

test("a modem bundle started for another family says which bundle to flash", async () => {
  await withConsole({}, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--bundle", "modem-agent", "--modem", "sara-r4", "--start", 'simcmdModemAgent.start({serial: Serial2, family: "bg96"});']);
    expect(r.code).toBe(0);
    await board.rebooted(1);
    expect(String(board.bootError)).toBe("TypeError: this bundle drives sara-r4 modems, not bg96: flash modem-agent-bg96.js");
  });
});

test("on a terminal: a progress bar of the bytes written", async () => {
  await withConsole({}, async (board) => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 100 }) as unknown as NodeJS.WriteStream;
    let drawn = "";
    (tty as unknown as PassThrough).on("data", (d: Buffer) => (drawn += d.toString()));
    let out = "";
    const code = await run(["flash", "--target", "espruino", "--port", board.path, "--chunk-size", "4096"], {
      out: (t) => void (out += t),
      err: () => undefined,
      lines: async function* () {},
      tty,
    });
    expect(code).toBe(0);
    // Redrawn at most every 100 ms: the first and the last frame are certain.
    expect(drawn).toMatch(/flash open +\[░+\] 0% 0\//);
    expect(drawn).toContain(`] 100% ${uploaded.length}/${uploaded.length} bytes`);
    expect(out).not.toMatch(/^upload: /m); // the bar instead of the step lines
  });
});

test.each([
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--uart", "Serial2"], "--bundle modem-agent needs --modem"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "quectel", "--uart", "Serial2"], "--modem must be bg96, sim7080, sara-r4"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96"], "needs --uart SerialN"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--no-start"], "not with --start or --no-start"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--apn", "x", "--no-start"], "go with --uart"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "UART2"], "Serial1 to Serial9"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--rx", "D16"], "both the RX and the TX pin"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--rx", "16", "--tx", "D17"], "named like D16"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--apn", 'a"b'], "the APN must be"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "modem-agent", "--modem", "bg96", "--uart", "Serial2", "--uart-baud", "fast"], "--uart-baud must be an integer"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--uart", "Serial2"], "--uart is for --bundle modem-agent"],
  [["flash", "--target", "moddable", "--uart", "Serial2"], "--uart is for --target espruino"],
])("usage error (modem agent): %j", async (argv, message) => {
  const r = await cli(argv);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
});

test.each([
  [["flash"], "--target must be"],
  [["flash", "--target", "esp8266"], "--target must be"],
  [["flash", "--target", "espruino"], "--port"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bundle", "pdu"], "--bundle must be"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--baud", "fast"], "--baud must be an integer"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--timeout", "0"], "--timeout must be an integer"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--board", "esp32"], "--board is for --target moddable"],
  [["flash", "--target", "moddable", "--port", "/dev/null"], "--port is for --target espruino"],
  [["flash", "--target", "espruino", "--port", "/dev/null", "--bogus"], "Unknown option"],
])("usage error: %j", async (argv, message) => {
  const r = await cli(argv);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
});

test("simcmd --help lists flash", async () => {
  const r = await cli(["--help"]);
  expect(r.out).toMatch(/flash +upload a firmware bundle/);
  expect(r.out).not.toContain("not yet available");
  expect((await cli(["flash", "--help"])).out).toContain("--timeout MS");
});
