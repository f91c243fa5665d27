/** `simcmd build --target …`: runs the package's build script (scripts/build.js). */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CliIo } from "./io.js";

const HELP = `Usage: simcmd build [--target espruino|lua|xs|node|all]

Builds firmware bundles into dist/firmware/<target>/ and prints their sizes.
  --target T   which bundle (default all)
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
