/**
 * The Espruino bundles as `npm run build` leaves them: minified, one modem agent per family carrying
 * that family's driver alone, each with its size report per module; and `--modem` of the build script.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { builtFile, ROOT } from "./espruino-vm.js";

const FAMILIES = ["bg96", "sim7080", "sara-r4"];
const DRIVER: Record<string, string> = { bg96: "firmware/modems/bg96.js", sim7080: "firmware/modems/sim7080.js", "sara-r4": "firmware/modems/sara-r4.js" };

interface Sizes {
  bundle: string;
  total: number;
  minified: boolean;
  modulesTotal: number;
  modules: { module: string; bytes: number }[];
}

const sizes = (file: string): Sizes => JSON.parse(fs.readFileSync(builtFile(`dist/firmware/espruino/${file}.sizes.json`), "utf8")) as Sizes;

test.each(FAMILIES)("modem-agent-%s.js carries its own driver and no other family's, minified, with a size report per module", (family) => {
  const s = sizes(`modem-agent-${family}`);
  const modules = s.modules.map((m) => m.module);
  expect(s.bundle).toBe(`dist/firmware/espruino/modem-agent-${family}.js`);
  expect(modules).toContain(DRIVER[family]);
  for (const other of FAMILIES.filter((f) => f !== family)) expect(modules).not.toContain(DRIVER[other]);
  // Nothing the device never calls: no run-time family choice, no encoder of TPDUs it never sends.
  expect(modules).not.toContain("firmware/modems/index.js");
  expect(modules).not.toContain("firmware/core/pdu/encode.js");
  expect(modules).toEqual(expect.arrayContaining(["firmware/core/pdu/encode-submit.js", "firmware/core/pdu/decode.js", "firmware/agent/modem-agent.js"]));
  expect(s.minified).toBe(true);
  expect(s.total).toBe(fs.statSync(path.join(ROOT, s.bundle)).size);
  expect(s.total).toBeLessThan(s.modulesTotal / 1.8); // terser: well under the modules' rendered size
  expect(s.modules.every((m) => m.bytes > 0)).toBe(true);
  // The bundle defines its one global.
  expect(fs.readFileSync(path.join(ROOT, s.bundle), "utf8")).toMatch(/^var simcmdModemAgent=/);
});

test("no Espruino bundle of an earlier layout is left (the all-family modem-agent.js)", () => {
  expect(fs.existsSync(path.join(ROOT, "dist/firmware/espruino/modem-agent.js"))).toBe(false);
  expect(sizes("agent").minified).toBe(true);
});

test("scripts/build.js --modem takes a family, and says which when given another", () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/build.js"), "--target", "espruino", "--modem", "quectel"], { encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--modem must be bg96, sim7080, sara-r4");
});
