/**
 * Where a simulated device's agent runs: inside the real XS engine (xsnap; the bundle that ships,
 * dist/firmware/xs/agent.js), in Lua 5.3 (dist/firmware/lua/agent.lua under lua5.3; storage in
 * memory) or in this Node process (the same firmware/ code, for debugging).
 * Both answer the requests of firmware/ports/shared/agent-service.ts.
 */
import path from "node:path";
import { createAgentService, type AgentService } from "../../firmware/ports/shared/agent-service.js";
import { utf16Text } from "../../firmware/core/text.js";
import { LuaRuntime } from "../runtimes/lua.js";
import { XsRuntime } from "../runtimes/xs.js";
import { packageRoot } from "../runtimes/line-process.js";
import { NodeClock } from "../clock/node-clock.js";
import { JsonFileStore } from "./json-file-store.js";

export type AgentRuntimeName = "xs" | "node" | "lua";

export interface IpAnswer {
  hex: string;
  executed: boolean;
}

export interface SmsAnswer {
  report: string;
  replies: string[];
  executed: boolean;
}

export interface AgentRuntime {
  ip(hex: string): Promise<IpAnswer>;
  sms(tpdu: string): Promise<SmsAnswer>;
  close(): Promise<void>;
}

export interface DeviceInfo {
  version: string;
  runtime: string;
  modem: string;
}

function check<T>(reply: unknown, what: string): T {
  const r = reply as { error?: { code: string; message: string } };
  if (r !== null && typeof r === "object" && r.error !== undefined) throw new Error(`agent ${what}: ${r.error.code}: ${r.error.message}`);
  return reply as T;
}

/** An agent behind a line-protocol child process (XS or Lua). */
class ChildAgent implements AgentRuntime {
  constructor(readonly xs: XsRuntime | LuaRuntime) {}
  async ip(hex: string): Promise<IpAnswer> {
    return check<IpAnswer>(await this.xs.request({ op: "ip", hex }), "ip");
  }
  async sms(tpdu: string): Promise<SmsAnswer> {
    return check<SmsAnswer>(await this.xs.request({ op: "sms", tpdu }), "sms");
  }
  close(): Promise<void> {
    return this.xs.close();
  }
}

class NodeAgent implements AgentRuntime {
  constructor(readonly service: AgentService) {}
  async ip(hex: string): Promise<IpAnswer> {
    return check<IpAnswer>(this.service.run({ op: "ip", hex }), "ip");
  }
  async sms(tpdu: string): Promise<SmsAnswer> {
    return check<SmsAnswer>(this.service.run({ op: "sms", tpdu }), "sms");
  }
  async close(): Promise<void> {}
}

/** Starts the agent in `runtime` with persistent storage in `storage` (a JSON file; default memory). */
export async function startAgent(runtime: AgentRuntimeName, info: DeviceInfo, storage: string | undefined, maxIds?: number): Promise<AgentRuntime> {
  const init = { op: "init", info, ...(maxIds === undefined ? {} : { maxIds }) };
  if (runtime === "node") {
    const service = createAgentService(new JsonFileStore(storage), new NodeClock(), utf16Text);
    check(service.run(init), "init");
    return new NodeAgent(service);
  }
  if (runtime === "lua") {
    const lua = await LuaRuntime.start({ script: path.join(packageRoot(), "dist/firmware/lua/agent.lua") });
    try {
      check(await lua.request(init), "init");
    } catch (e) {
      await lua.close();
      throw e;
    }
    return new ChildAgent(lua);
  }
  const bundle = path.join(packageRoot(), "dist/firmware/xs/agent.js");
  const xs = await XsRuntime.start(storage === undefined ? { bundle } : { bundle, storage });
  try {
    check(await xs.request(init), "init");
  } catch (e) {
    await xs.close();
    throw e;
  }
  return new ChildAgent(xs);
}
