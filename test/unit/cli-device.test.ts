/** `simcmd device` option handling: --config files, flag precedence, clear usage errors. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cli } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-device-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
}

test.each([
  ["not JSON", "{nope", /--config .*: .*JSON/],
  ["an array", "[]", /must hold a JSON object/],
  ["an unknown key", '{"sim": "a", "colour": "red"}', /unknown key 'colour'/],
  ["a wrong type", '{"sim": {"x": 1}}', /'sim' must be a string or a number/],
])("a config file with %s is a usage error", async (_what, body, message) => {
  const r = await cli(["device", "--config", config(`bad-${body.length}.json`, body)]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
});

test("settings come from the file, flags given on the command line win", async () => {
  const file = config("ok.json", JSON.stringify({ sim: "from-file", cloud: "http://127.0.0.1:9", port: 7000, runtime: "node" }));
  // Port 9 (discard) has no mock cloud: the attach fails, naming the SIM the settings chose.
  await expect(cli(["device", "--config", file])).rejects.toThrow(/SIM 'from-file'|from-file/);
  await expect(cli(["device", "--config", file, "--sim", "from-flag"])).rejects.toThrow(/from-flag/);
  const noSim = config("nosim.json", JSON.stringify({ cloud: "http://127.0.0.1:9" }));
  const r = await cli(["device", "--config", noSim]);
  expect([r.code, r.err]).toEqual([2, expect.stringContaining("--sim is required")]);
});
