/**
 * The part of @agoric/xsnap (which ships JavaScript with JSDoc, no declarations) that xs-child.ts uses,
 * as its JSDoc describes it.
 */
declare module "@agoric/xsnap" {
  import type { spawn } from "node:child_process";

  export interface XsnapMeterUsage {
    meterType: string;
    allocate: number | null;
    compute: number | null;
    currentHeapCount: number | null;
    timestamps: number[] | null;
  }

  export interface XsnapRunResult<T> {
    reply: T;
    meterUsage: XsnapMeterUsage;
  }

  export interface XsnapOptions {
    os: string;
    spawn: typeof spawn;
    fs: object;
    name?: string;
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
    meteringLimit?: number;
    stdout?: "ignore" | "inherit" | "pipe";
    stderr?: "ignore" | "inherit" | "pipe";
  }

  export interface XsnapWorker {
    evaluate(code: string): Promise<XsnapRunResult<Uint8Array>>;
    issueStringCommand(message: string): Promise<XsnapRunResult<string>>;
    close(): Promise<void>;
  }

  export function xsnap(options: XsnapOptions): Promise<XsnapWorker>;
}
