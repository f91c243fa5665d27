/** `simcmd provision`: the plan per target, carried out for real (a file, a pty standing in for the board). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { openPty } from "../../host-tools/modem/pty.js";
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

test.each([
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
