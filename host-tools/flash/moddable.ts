/**
 * Flashing a Moddable (XS) build to an ESP32-class board: `mcconfig -d -m -p <board> <manifest>` on
 * dist/firmware/moddable/manifest.json, which builds with the Moddable SDK and ESP-IDF and flashes
 * through idf.py. As a provision plan (host-tools/provision/plan.ts), so it is printed by --dry-run
 * and carried out by the same runner.
 */
import fs from "node:fs";
import path from "node:path";
import type { Plan } from "../provision/plan.js";
import { FlashError } from "./espruino.js";

export const DEFAULT_MODDABLE_BOARD = "esp32";

export function planModdableFlash(root: string, board: string = DEFAULT_MODDABLE_BOARD): Plan {
  const dir = path.join(root, "dist/firmware/moddable");
  const manifest = path.join(dir, "manifest.json");
  if (!fs.existsSync(manifest)) throw new FlashError("bundle", "dist/firmware/moddable/manifest.json is not built: run `npm run build` first");
  return { target: "moddable", steps: [{ kind: "run", command: "mcconfig", args: ["-d", "-m", "-p", board, manifest], cwd: dir }] };
}

/** The full path of an executable on PATH, or undefined. */
export function onPath(command: string, envPath: string = process.env["PATH"] ?? ""): string | undefined {
  for (const d of envPath.split(path.delimiter)) {
    if (d === "") continue;
    const f = path.join(d, command);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}
