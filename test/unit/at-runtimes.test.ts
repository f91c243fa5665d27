/**
 * The engine outside Node: one scenario (echo, URC inside a response, binary read with CR/LF,
 * push-mode URC payload, prompt + Ctrl-Z, CMS error, timeout, late OK, over-long line) is
 * compiled (a) by TypeScriptToLua and run by Lua 5.3, (b) to ES5 and bundled by rollup, checked
 * by the Espruino static checker, and run in a vm without Map/Set/Symbol. Both must print what
 * Node prints. Lua needs `lua5.3` (apt-get install lua5.3): missing, the test fails, not skips.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";
import ts from "typescript";
import { rollup } from "rollup";
import { BANNED_GLOBALS, checkEspruinoScript, formatProblems } from "../conformance/es5-check.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const AT = path.join(ROOT, "firmware/at/index.ts");
const require = createRequire(import.meta.url);

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-at-"));
// A relative specifier ending in .js: what TSTL (with manifests/lua/strip-js-extension.cjs) resolves.
const SCENARIO = `
import { AtEngine } from ${JSON.stringify(path.relative(DIR, AT).replace(/\.ts$/, ".js"))};
/** @noSelf */
declare function report(s: string): void;
interface T { id: number; at: number; cb: () => void }
let receiver: ((b: number[]) => void) | null = null;
let writes = "";
let now = 0;
let nextId = 1;
const timers: T[] = [];
function hex(b: number[]): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] as number) < 16 ? "0" + (b[i] as number).toString(16) : (b[i] as number).toString(16);
  return s;
}
function advance(ms: number): void {
  now += ms;
  for (let i = 0; i < timers.length; i++) {
    const t = timers[i] as T;
    if (t.at <= now) { timers.splice(i, 1); t.cb(); i = -1; }
  }
}
function emit(s: string, chunk: number): void {
  const b: number[] = [];
  for (let i = 0; i < s.length; i++) b.push(s.charCodeAt(i));
  for (let i = 0; i < b.length; i += chunk) if (receiver !== null) receiver(b.slice(i, i + chunk));
}
const at = new AtEngine({
  serial: {
    write(bytes: number[]) { writes += " " + hex(bytes); },
    setOnData(cb: (b: number[]) => void) { receiver = cb; },
  },
  clock: {
    now() { return now; },
    setTimeout(cb: () => void, ms: number) { const id = nextId++; timers.push({ id: id, at: now + ms, cb: cb }); return id; },
    clearTimeout(id: number) { for (let i = 0; i < timers.length; i++) if ((timers[i] as T).id === id) { timers.splice(i, 1); return; } },
  },
  onUnhandled: (l: string) => report("? " + l),
  onError: (e) => report("E " + e.kind + " " + e.code),
});
function done(r: { kind: string; lines: string[]; data: number[][] }): void {
  let d = "";
  for (let i = 0; i < r.data.length; i++) d += " " + hex(r.data[i] as number[]);
  report("= " + r.kind + " [" + r.lines.join("|") + "]" + d);
}
at.onUrc("+CMTI:", (lines: string[]) => report("U " + lines.join("|")));
at.onUrc("+CMT:", (lines: string[]) => report("U " + lines.join("|")), { lines: 2 });
at.onUrc("+QIURC:", (lines: string[], data: number[]) => report("U " + lines[0] + " " + hex(data)), {
  data: (h: string, c: boolean) => (c && h.indexOf(",5,") > 0 ? 5 : 0),
});
for (let chunk = 1; chunk <= 7; chunk += 3) {
  report("chunk " + chunk);
  at.send("AT+COPS?", { prefix: "+COPS:" }, done);
  emit("AT+COPS?\\r\\r\\n+COPS: 0,0,\\"X\\",7\\r\\n+CMTI: \\"SM\\",3\\r\\n\\r\\nOK\\r\\n", chunk);
  at.send("AT+CARECV=0,9", { prefix: "+CARECV:", data: { prefix: "+CARECV:", length: (h: string, c: boolean) => (c ? 0 : h === "+CARECV: 3," ? 3 : -1) } }, done);
  // 0xFF built at run time: TSTL writes non-ASCII string literals as UTF-8 bytes in Lua.
  emit("\\r\\n+CARECV: 3,\\r\\n" + String.fromCharCode(255) + "\\r\\nOK\\r\\n", chunk);
  emit("\\r\\n+QIURC: \\"recv\\",0,5,\\"1.2.3.4\\",9\\r\\nab\\r\\nc\\r\\n+CMT: ,3\\r\\n0011AA\\r\\n", chunk);
  at.send("AT+CMGS=1", { payload: [48, 48], terminator: 26, prefix: "+CMGS:" }, done);
  emit("\\r\\n> ", chunk);
  emit("\\r\\n+CMS ERROR: 304\\r\\n", chunk);
  at.send("AT", { timeout: 100 }, done);
  advance(100);
  let long = "";
  for (let i = 0; i < 1100; i++) long += "x";
  emit("\\r\\nOK\\r\\n" + long + "\\r\\nRDY\\r\\n", chunk);
}
report("W" + writes);
`;

const dir = DIR;
beforeAll(() => {
  fs.writeFileSync(path.join(dir, "scenario.ts"), SCENARIO);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What Node prints for the scenario (the reference). */
async function nodeOutput(): Promise<string[]> {
  const out: string[] = [];
  const js = ts.transpileModule(SCENARIO, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  // The engine through jest's TS transform; the scenario body with `report` bound.
  const engine = await import("../../firmware/at/index.js");
  const body = js.replace(/^import .*$/m, "");
  new Function("AtEngine", "report", body)(engine.AtEngine, (s: string) => out.push(s));
  return out;
}

async function es5Bundle(): Promise<string> {
  const bundle = await rollup({
    input: path.join(dir, "scenario.ts"),
    plugins: [
      {
        name: "ts-es5",
        resolveId(id, importer) {
          if (importer === undefined) return id;
          const abs = path.resolve(path.dirname(importer), id);
          return abs.endsWith(".js") ? abs.slice(0, -3) + ".ts" : abs;
        },
        load(id) {
          return ts.transpileModule(fs.readFileSync(id, "utf8"), {
            compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ES2015, removeComments: true },
          }).outputText;
        },
      },
    ],
  });
  const { output } = await bundle.generate({ format: "iife", generatedCode: "es5", freeze: false });
  await bundle.close();
  return output[0].code;
}

test("ES5 bundle: passes the Espruino checker and runs without Map/Set/Symbol like Node", async () => {
  const code = await es5Bundle();
  expect(formatProblems(code, checkEspruinoScript(code))).toEqual([]);
  const out: string[] = [];
  const context = vm.createContext({ report: (s: string) => out.push(s) });
  vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
  vm.runInContext(code, context);
  expect(out).toEqual(await nodeOutput());
});

test("Lua 5.3 (TypeScriptToLua): compiles without diagnostics and prints what Node prints", async () => {
  const tsconfig = {
    compilerOptions: {
      target: "ESNext", module: "ESNext", moduleResolution: "bundler", lib: ["es5", "es2015.core"], types: [],
      strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, rootDir: "/", outDir: path.join(dir, "lua"),
    },
    include: [path.join(dir, "scenario.ts")],
    tstl: {
      luaTarget: "5.3", luaBundle: "at.lua", luaBundleEntry: path.join(dir, "scenario.ts"),
      luaPlugins: [{ name: path.join(ROOT, "manifests/lua/strip-js-extension.cjs") }],
      luaLibImport: "require-minimal", noHeader: true, sourceMapTraceback: false,
    },
  };
  fs.writeFileSync(path.join(dir, "tsconfig.lua.json"), JSON.stringify(tsconfig));
  const tstl = path.join(path.dirname(require.resolve("typescript-to-lua/package.json")), "dist/tstl.js");
  const built = spawnSync(process.execPath, [tstl, "-p", path.join(dir, "tsconfig.lua.json")], { encoding: "utf8" });
  expect(built.stdout + built.stderr).toBe("");
  const lua = spawnSync("lua5.3", ["-e", "report = print", path.join(dir, "lua/at.lua")], { encoding: "latin1" });
  if (lua.error !== undefined) throw new Error("lua5.3 not found: apt-get install lua5.3");
  expect(lua.stderr).toBe("");
  expect(lua.stdout.trimEnd().split("\n")).toEqual(await nodeOutput());
}, 60000);
