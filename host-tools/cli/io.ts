/** What a CLI command writes to and reads from; injected so commands are testable in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Lines of standard input, read lazily. */
  lines(): AsyncIterable<string>;
  /** A terminal to draw progress on (standard error when it is one); absent: no terminal. */
  tty?: NodeJS.WriteStream;
}

/** A usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * An integer flag: digits only (no sign, spaces, exponent or fraction, which `Number()` would accept),
 * from `min` to `max`; undefined when the flag is absent. A bad value is a UsageError naming the flag.
 */
export function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}
