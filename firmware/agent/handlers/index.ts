/** The built-in commands of the agent's protocol (docs/agent.md), one file each. */
import type { CborValue } from "../../core/cbor.js";
import { config } from "./config.js";
import { echo } from "./echo.js";
import { info } from "./info.js";
import { ping } from "./ping.js";
import type { HandlerContext, HandlerResult } from "./types.js";

export const COMMAND_NAMES = ["ping", "echo", "info", "config"];

export function isCommand(name: string): boolean {
  return COMMAND_NAMES.indexOf(name) >= 0;
}

/** Runs a built-in command; an unknown name is an `err` result, never an exception. */
export function runHandler(name: string, args: CborValue, ctx: HandlerContext): HandlerResult {
  switch (name) {
    case "ping":
      return ping();
    case "echo":
      return echo(args);
    case "info":
      return info(args, ctx);
    case "config":
      return config(args, ctx);
    default:
      return { ok: false, reason: "unknown command '" + name + "'" };
  }
}
