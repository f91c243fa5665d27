/** What a CLI command writes to and reads from; injected so commands are testable in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Lines of standard input, read lazily. */
  lines(): AsyncIterable<string>;
}

/** A usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
