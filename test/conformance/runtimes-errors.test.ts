/** Failures of the XS and Lua host drivers surface as rejected promises with clear messages. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LuaRuntime } from "../../host-tools/runtimes/lua.js";
import { XsRuntime } from "../../host-tools/runtimes/xs.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-runtimes-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, code: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, code);
  return file;
}

test("XS: a missing bundle rejects start()", async () => {
  await expect(XsRuntime.start({ bundle: path.join(dir, "nope.js") })).rejects.toThrow(/cannot start XS .*nope\.js/);
});

test("XS: a bundle that throws while loading rejects start()", async () => {
  const bundle = script("throws.js", "throw new Error('bad bundle');");
  await expect(XsRuntime.start({ bundle })).rejects.toThrow(/bad bundle/);
});

test("XS: handleCommand throwing rejects that request", async () => {
  const bundle = script("handler-throws.js", "function handleCommand(b) { throw new Error('handler boom'); }");
  const xs = await XsRuntime.start({ bundle });
  try {
    await expect(xs.request({ op: "text", items: [] })).rejects.toThrow(/xs runtime: .*handler boom/);
  } finally {
    await xs.close();
  }
});

test("XS: requests after close() reject", async () => {
  const xs = await XsRuntime.start();
  await xs.close();
  await expect(xs.request({ op: "text", items: [] })).rejects.toThrow(/closed|exited/);
});

test("Lua: a missing interpreter says how to install it", async () => {
  await expect(LuaRuntime.start({ lua: "no-such-lua5.3" })).rejects.toThrow(
    "no-such-lua5.3 not found: apt-get install lua5.3",
  );
});

test("Lua: a script that dies rejects pending requests with its stderr", async () => {
  const lua = await LuaRuntime.start({ script: script("dies.lua", "io.read('l'); error('lua boom')") });
  try {
    await expect(lua.request({ op: "text", items: [] })).rejects.toThrow(/lua runtime exited \(exit code 1\): .*lua boom/);
  } finally {
    await lua.close();
  }
});
