/** `simcmd build --target …`: runs the package's build script (scripts/build.js). */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CliIo } from "./io.js";

const HELP = `Usage: simcmd build [--target espruino|lua|xs|node|moddable|all]... [--board esp32/<board>]

Builds the firmware into dist/firmware/<target>/ and prints each bundle's size; a <bundle>.sizes.json
beside each JavaScript bundle lists the bytes every module contributes.
  --target T   espruino, lua, xs, node, moddable or all (default all; repeatable or comma-separated).
               all builds the Moddable bundle and manifest; --target moddable also runs the Moddable
               SDK's mcconfig, and fails with what to install when it is missing.
  --board B    mcconfig platform for --target moddable (default esp32)
`;

export async function runBuild(args: string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return io.out(HELP), 0;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  const script = path.join(root, "scripts/build.js");
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
