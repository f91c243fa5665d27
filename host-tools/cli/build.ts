/**
 * `simcmd build --target …`: runs the package's build script (scripts/build.js). It compiles the firmware's
 * TypeScript sources with the checkout's development tools (TypeScript, rollup, TypeScriptToLua); the
 * published package holds the built bundles instead, so there it says where they are.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { packageRoot } from "../runtimes/line-process.js";
import type { CliIo } from "./io.js";

const HELP = `Usage: simcmd build [--target espruino|lua|xs|node|moddable|all]... [--board esp32/<board>|lin]
                    [--modem bg96|sim7080|sara-r4] [--dry-run]

Builds the firmware into dist/firmware/<target>/ and prints each bundle's size; a <bundle>.sizes.json
beside each JavaScript bundle lists the bytes every module contributes.
  --target T   espruino, lua, xs, node, moddable or all (default all; repeatable or comma-separated).
               all builds the Moddable bundles and manifests; --target moddable also runs the Moddable
               SDK's mcconfig, and fails with what to install when it is missing.
  --board B    mcconfig platform for --target moddable (default esp32; lin: the SDK's Linux build)
  --modem F    bg96, sim7080 or sara-r4. espruino: of the modem agent bundles (one per family,
               dist/firmware/espruino/modem-agent-<F>.js) build only F's. --target moddable: the modem
               firmware (dist/firmware/moddable/modem/), this family in its config (mcconfig … modem=F);
               without it, the agent on the board's own UDP stack
  --dry-run    --target moddable: print the mcconfig plan instead of running it
`;

export async function runBuild(args: string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return io.out(HELP), 0;
  const root = packageRoot();
  const script = path.join(root, "scripts/build.js");
  if (!fs.existsSync(script) || !fs.existsSync(path.join(root, "firmware"))) {
    const dist = path.join(root, "dist/firmware");
    io.err(
      `simcmd build: this is the installed package, which ships the built firmware rather than its sources:\n` +
        `  ${dist}/{espruino,xs,lua,moddable}/\n` +
        `(simcmd flash and provision use them as they are; for Moddable: cd ${dist}/moddable && mcconfig -m -p esp32,\n` +
        `or behind a modem: cd ${dist}/moddable/modem && mcconfig -m -p esp32 modem=bg96).\n` +
        `To change and rebuild the firmware, build from a checkout of simcmd: npm install && npx simcmd build.\n`,
    );
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => io.out(d.toString()));
    child.stderr.on("data", (d: Buffer) => io.err(d.toString()));
    child.on("error", (e) => {
      io.err(`simcmd build: ${e.message}\n`);
      resolve(1);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}
