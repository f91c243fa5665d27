/** `simcmd provision`: the plan per target, carried out for real (a file, a pty standing in for the board). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { openPty } from "../../host-tools/virtual-modem/pty.js";
import { cli } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-provision-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("host: writes the JSON that simcmd device --config reads", async () => {
  const withModem = path.join(dir, "modem.json");
  expect((await cli(["provision", "--target", "host", "--sim", "t0", "--modem", "bg96", "--apn", "iot", "--out", withModem])).code).toBe(0);
  expect(JSON.parse(fs.readFileSync(withModem, "utf8"))).toEqual({ sim: "t0", port: 6969, modem: "bg96", apn: "iot" });
  const file = path.join(dir, "dev.json");
  const r = await cli(["provision", "--target", "host", "--sim", "tracker-1", "--device-port", "7000", "--out", file]);
  expect(r.code).toBe(0);
  expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ sim: "tracker-1", port: 7000 });
  // The device command takes it: with no cloud reachable, it fails naming the provisioned SIM.
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), cloud: "http://127.0.0.1:9" }));
  await expect(cli(["device", "--config", file])).rejects.toThrow(/tracker-1/);
});

test("espruino: one console line over the serial port writes simcmd.json to Storage", async () => {
  const pty = await openPty();
  try {
    const received = new Promise<string>((resolve) => {
      let got = "";
      pty.stream.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        if (got.endsWith("\n")) resolve(got);
      });
    });
    const r = await cli(["provision", "--target", "espruino", "--sim", "HS0123", "--port", pty.path, "--mo", "100.64.0.1:6970"]);
    expect(r.code).toBe(0);
    const line = await received;
    expect(line.startsWith("\x10")).toBe(true); // Espruino: a line starting with DLE is not echoed
    // Run the line as the board would, with Espruino's Storage.write.
    const files: Record<string, string> = {};
    vm.runInNewContext(line.slice(1), { require: () => ({ write: (n: string, d: string) => ((files[n] = d), true) }) });
    expect(JSON.parse(files["simcmd.json"] as string)).toEqual({
      sim: "HS0123", devicePort: 6969, mo: { host: "100.64.0.1", port: 6970 }, transport: "auto", modem: "none", apn: "super",
    });
  } finally {
    await pty.close();
  }
});

test("moddable: --dry-run prints the plan and changes nothing; without the SDK the run says what is missing", async () => {
  const out = path.join(dir, "moddable");
  const dry = await cli(["provision", "--target", "moddable", "--sim", "s1", "--board", "esp32/moddable_two", "--out", out, "--dry-run"]);
  expect(dry.code).toBe(0);
  expect(dry.out).toContain("mcconfig -d -m -p esp32/moddable_two");
  expect(dry.out).toContain('"moHost": "100.64.0.1"');
  expect(fs.existsSync(out)).toBe(false);
  const env = process.env["PATH"];
  process.env["PATH"] = "/nonexistent";
  try {
    const r = await cli(["provision", "--target", "moddable", "--sim", "s1", "--out", out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mcconfig.*Moddable SDK/);
    expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).config).toMatchObject({ sim: "s1", devicePort: 6969 });
  } finally {
    process.env["PATH"] = env;
  }
});

test("moddable with a modem: the modem firmware's manifest, the UART and power key in config, the mcconfig plan per board", async () => {
  const esp = await cli(["provision", "--target", "moddable", "--sim", "s2", "--modem", "sim7080", "--uart", "1", "--rx", "26", "--tx", "27", "--power-pin", "4", "--baud", "57600", "--out", path.join(dir, "esp"), "--dry-run"]);
  expect(esp.code).toBe(0);
  expect(esp.out).toContain(path.join("dist/firmware/moddable/modem/manifest.json"));
  for (const line of ['"modem": "sim7080"', '"uartPort": 1', '"uartReceive": 26', '"uartTransmit": 27', '"uartBaud": 57600', '"powerPin": 4']) expect(esp.out).toContain(line);
  expect(esp.out).toContain(`in ${path.join(dir, "esp")}: mcconfig -d -m -p esp32\n`);
  const out = path.join(dir, "lin");
  const lin = await cli(["provision", "--target", "moddable", "--sim", "s3", "--modem", "bg96", "--board", "lin", "--uart", "/dev/pts/7", "--out", out, "--dry-run"]);
  expect(lin.code).toBe(0);
  expect(lin.out).toContain('"uartDevice": "/dev/pts/7"');
  expect(lin.out).toContain(`in ${out}: mcconfig -m -p lin -o ${out}\n`);
  expect(lin.out).toContain(`then run it: mcsim ${path.join(out, "bin/lin/mc/release/lin/mc.so")}`);
  expect(fs.existsSync(out)).toBe(false);
  // The config the plan writes is what the firmware's settings reader accepts.
  const { readModemSettings } = await import("../../firmware/ports/shared/modem-settings.js");
  const config = JSON.parse(lin.out.slice(lin.out.indexOf("{"), lin.out.indexOf("\n  2.")).replace(/^ {7}/gm, "")).config;
  expect(readModemSettings(config)).toMatchObject({ ok: true, value: { family: "bg96", devicePort: 6969, moHost: "100.64.0.1", moPort: 6969, apn: "super" } });
});

test.each([
  [["provision", "--target", "moddable", "--sim", "x", "--uart", "2"], "give --modem"],
  [["provision", "--target", "moddable", "--sim", "x", "--modem", "bg96", "--board", "lin", "--uart", "2"], "on lin the modem's UART is a tty"],
  [["provision", "--target", "moddable", "--sim", "x", "--modem", "bg96", "--uart", "/dev/ttyUSB0"], "is a UART number"],
  [["provision", "--target", "moddable", "--sim", "x", "--modem", "bg96", "--uart", "3"], "--uart must be an integer from 0 to 2"],
  [["provision", "--target", "moddable", "--sim", "x", "--modem", "bg96", "--rx", "64"], "--rx must be an integer from 0 to 63"],
  [["provision", "--sim", "x"], "--target must be"],
  [["provision", "--target", "host"], "--sim is required"],
  [["provision", "--target", "espruino", "--sim", "x"], "--port"],
  [["provision", "--target", "host", "--sim", "x", "--mo", "nohost"], "--mo must be HOST:PORT"],
  [["provision", "--target", "host", "--sim", "x", "--modem", "sim800"], "--modem must be"],
])("usage error: %j", async (argv, message) => {
  const r = await cli(argv);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
});
