/** Runs the CLI in-process with captured output and the given stdin lines. */
import { run } from "../../host-tools/cli/main.js";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function cli(argv: string[], stdin: string[] = []): Promise<CliRun> {
  let out = "";
  let err = "";
  const code = await run(argv, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    lines: async function* () {
      yield* stdin;
    },
  });
  return { code, out, err };
}
