/**
 * `simcmd flash --target espruino` against a virtual Espruino console on a real pty
 * (test/helpers/espruino-console.ts): the upload lands byte for byte in Storage, the CRC is checked,
 * load() runs the agent; and the failures (CRC mismatch, silence, no port, no bundle) and usage errors.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { FlashError, planEspruinoFlash } from "../../host-tools/flash/espruino.js";
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
    expect(board.lines.filter((l) => l.startsWith('require("Storage").write(".bootcde",'))).toHaveLength(chunks);
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
  const start = 'simcmdModemAgent.start({serial: Serial2, family: "bg96"});';
  const j = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999", "--dry-run", "--json", "--bundle", "modem-agent", "--start", start]);
  expect(j.code).toBe(0);
  const modemAgent = fs.readFileSync(path.join(ROOT, "dist/firmware/espruino/modem-agent.js"));
  expect(JSON.parse(j.out).plan).toMatchObject({ start, bundle: { bytes: modemAgent.length + start.length + 2 } });
  expect((await cli(["flash", "--target", "espruino", "--port", "/dev/null", "--start", "x()", "--no-start"])).code).toBe(2);
});

test("--json and --no-reboot: one JSON result, echo back on, no load()", async () => {
  await withConsole({}, async (board) => {
    const r = await cli(["flash", "--target", "espruino", "--port", board.path, "--no-reboot", "--json", "--chunk-size", "4096"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      ok: true, target: "espruino", port: board.path, bundle: "agent", bytes: uploaded.length, chunks: Math.ceil(uploaded.length / 4096), crc32: crc32(uploaded), rebooted: false,
    });
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
  const j = await cli(["flash", "--target", "espruino", "--port", "/dev/pts/999999", "--dry-run", "--json", "--bundle", "modem-agent"]);
  expect(j.code).toBe(0);
  const plan = JSON.parse(j.out).plan;
  const modemAgent = fs.readFileSync(path.join(ROOT, "dist/firmware/espruino/modem-agent.js"));
  expect(plan).toMatchObject({ target: "espruino", baud: 9600, timeoutMs: 5000, chunks: Math.ceil(modemAgent.length / 512), bundle: { name: "modem-agent", bytes: modemAgent.length, crc32: crc32(modemAgent) } });
  // Every upload line is plain ASCII and, run as the board would, rebuilds the file byte for byte.
  const upload = plan.steps[2].send as string[];
  expect(upload.every((l) => l.startsWith("\x10") && l.endsWith("\n") && /^[\x20-\x7e]*$/.test(l.slice(1, -1)))).toBe(true);
  let file = Buffer.alloc(0);
  const write = (_name: string, data: string, offset: number, size: number) => {
    if (offset === 0) file = Buffer.alloc(size, 0xff);
    Buffer.from(data, "latin1").copy(file, offset);
  };
  for (const l of upload) vm.runInNewContext(l.slice(1), { require: () => ({ write }) });
  expect(Buffer.compare(file, modemAgent)).toBe(0);
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
