/**
 * The drivers outside Node: one scenario per family (open a socket, a buffer-mode read whose
 * payload holds CR LF, a send, an SMS received through +CMTI → AT+CMGR → AT+CMGD, an SMS sent
 * with +CMGS: <mr>, a +CMS ERROR) is compiled (a) by TypeScriptToLua and run by Lua 5.3, (b) to
 * ES5, bundled by rollup, checked by the Espruino static checker and run in a vm without
 * Map/Set/Symbol. Both must print what Node prints. Lua needs `lua5.3`: missing, the test fails.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";
import ts from "typescript";
import { rollup } from "rollup";
import { BANNED_GLOBALS, checkEspruinoScript, formatProblems } from "./es5-check.js";
import { encodePdu } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-modems-"));
const rel = (p: string): string => JSON.stringify(path.relative(DIR, path.join(ROOT, p)).replace(/\.ts$/, ".js"));

const enc = encodePdu({ type: "deliver", originator: "000", timestamp: "2026-01-02T03:04:05+00:00", text: "hi there" } as never, { smsc: false, text: utf16Text });
const DELIVER = "07915155555501F0" + (enc.ok ? enc.hex : "");

// Per family: [write, reply] pairs answered in order, 1 ms after the write (\r \n as escapes).
const SCRIPTS: Record<string, [string, string][]> = {
  bg96: [
    ['AT+QIOPEN=1,0,"UDP SERVICE","127.0.0.1",0,6969,0\\r', "\\r\\nOK\\r\\n\\r\\n+QIOPEN: 0,0\\r\\n"],
    ["URC", '\\r\\n+QIURC: "recv",0\\r\\n'],
    ["AT+QIRD=0,1500\\r", '\\r\\n+QIRD: 6,"100.64.0.1",6969\\r\\nab\\r\\nOK\\r\\n\\r\\nOK\\r\\n'],
    ["AT+QIRD=0,1500\\r", "\\r\\n+QIRD: 0\\r\\n\\r\\nOK\\r\\n"],
    ['AT+QISEND=0,2,"100.64.0.1",6969\\r', "\\r\\n> "],
    ["ok", "\\r\\nSEND OK\\r\\n"],
  ],
  sim7080: [
    ['AT+CASERVER=0,0,"UDP",6969\\r', "\\r\\nOK\\r\\n"],
    ["URC", "\\r\\n+CADATAIND: 0\\r\\n"],
    ["AT+CARECV=0,1460\\r", "\\r\\n+CARECV: 6,ab\\r\\nOK\\r\\n\\r\\nOK\\r\\n"],
    ["AT+CARECV=0,1460\\r", "\\r\\n+CARECV: 0\\r\\n\\r\\nOK\\r\\n"],
    ['AT+CACFG="REMOTEADDR",0,"100.64.0.1",6969\\r', "\\r\\nOK\\r\\n"],
    ["AT+CASEND=0,2\\r", "\\r\\n>"],
    ["ok", "\\r\\nOK\\r\\n"],
  ],
  "sara-r4": [
    ["AT+UDCONF=1,1\\r", "\\r\\nOK\\r\\n"],
    ["AT+USOCR=17,6969\\r", "\\r\\n+USOCR: 0\\r\\n\\r\\nOK\\r\\n"],
    ["URC", "\\r\\n+UUSORF: 0,6\\r\\n"],
    ["AT+USORF=0,512\\r", '\\r\\n+USORF: 0,"100.64.0.1",6969,6,"61620D0A4F4B"\\r\\n\\r\\nOK\\r\\n'],
    ["AT+USORF=0,512\\r", "\\r\\n+USORF: 0,0\\r\\n\\r\\nOK\\r\\n"],
    ['AT+USOST=0,"100.64.0.1",6969,2,"6F6B"\\r', "\\r\\n+USOST: 0,2\\r\\n\\r\\nOK\\r\\n"],
  ],
};
const SMS: [string, string][] = [
  ["URC", '\\r\\n+CMTI: "SM",2\\r\\n'],
  ["AT+CMGR=2\\r", `\\r\\n+CMGR: 0,,${DELIVER.length / 2 - 8}\\r\\n${DELIVER}\\r\\n\\r\\nOK\\r\\n`],
  ["AT+CMGD=2\\r", "\\r\\nOK\\r\\n"],
  ["AT+CMGS=13\\r", "\\r\\n> "],
  ["PDU", "\\r\\n+CMGS: 7\\r\\n\\r\\nOK\\r\\n"],
  ["AT+CMGS=13\\r", "\\r\\n> "],
  ["PDU", "\\r\\n+CMS ERROR: 500\\r\\n"],
];

function scenario(family: string): string {
  const script = [...(SCRIPTS[family] as [string, string][]), ...SMS].map(([w, r]) => `["${w.replace(/"/g, '\\"')}", "${r.replace(/"/g, '\\"')}"]`).join(",\n  ");
  return `
import { createModem } from ${rel("firmware/modems/index.ts")};
import { utf8Text } from ${rel("firmware/core/text.ts")};
/** @noSelf */
declare function report(s: string): void;
interface T { id: number; at: number; cb: () => void }
const script: string[][] = [
  ${script}
];
let receiver: ((b: number[]) => void) | null = null;
let now = 0;
let nextId = 1;
const timers: T[] = [];
function str(b: number[]): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}
function bytes(s: string): number[] {
  const b: number[] = [];
  for (let i = 0; i < s.length; i++) b.push(s.charCodeAt(i));
  return b;
}
function later(cb: () => void, ms: number): number {
  const id = nextId++;
  timers.push({ id: id, at: now + ms, cb: cb });
  return id;
}
function answer(reply: string): void {
  later(() => { if (receiver !== null) receiver(bytes(reply)); }, 1);
}
/** Plays the next "URC" line of the script, if that is what comes next. */
function urc(): void {
  const next = script[0];
  if (next !== undefined && next[0] === "URC") { script.shift(); answer(next[1] as string); }
}
function advance(ms: number): void {
  const end = now + ms;
  for (;;) {
    let k = -1;
    for (let i = 0; i < timers.length; i++) if ((timers[i] as T).at <= end && (k < 0 || (timers[i] as T).at < (timers[k] as T).at)) k = i;
    if (k < 0) break;
    const t = timers[k] as T;
    timers.splice(k, 1);
    now = t.at;
    t.cb();
  }
  now = end;
}
const clock = {
  now() { return now; },
  setTimeout(cb: () => void, ms: number) { return later(cb, ms); },
  clearTimeout(id: number) { for (let i = 0; i < timers.length; i++) if ((timers[i] as T).id === id) { timers.splice(i, 1); return; } },
};
const serial = {
  write(b: number[]) {
    const s = str(b);
    const next = script[0];
    const pdu = b.length > 0 && b[b.length - 1] === 26;
    if (next !== undefined && (next[0] === s || (pdu && next[0] === "PDU") || next[0] === "ok")) { script.shift(); answer(next[1] as string); }
    else report("unexpected write " + (pdu ? "<pdu>" : s));
  },
  setOnData(cb: (b: number[]) => void) { receiver = cb; },
};
import { AtEngine } from ${rel("firmware/at/index.ts")};
const engine = new AtEngine({ serial: serial, clock: clock });
const modem = createModem("${family}", engine, { clock: clock, text: utf8Text, onError: (e) => report("error " + e.kind + " " + e.command) });
modem.udp.onDatagram((d) => report("datagram " + d.socket + " " + d.host + ":" + d.port + " " + d.data.join(".")));
modem.sms.onMessage((m) => report("sms " + m.from + " " + (m.text !== undefined ? m.text : "") + " " + m.parts + " " + m.alphabet));
modem.udp.open({ localPort: 6969, mode: "buffer" }, (o) => {
  report("open " + (o.ok ? o.value.id + " " + o.value.localPort : o.error.kind));
  if (!o.ok) return;
  const s = o.value;
  urc();
  advance(20);
  modem.udp.send(s, [111, 107], 6969, (r) => {
    report("sent " + (r.ok ? r.value : r.error.kind));
    urc();
    advance(20);
    modem.sms.send("000", "ping", { statusReport: true }, (m) => {
      report("sms sent " + (m.ok ? m.value.references.join(",") : m.error.kind));
      modem.sms.send("000", "ping", null, (f) => report("sms failed " + (f.ok ? "no" : f.error.kind + " " + f.error.code + " " + f.error.message)));
      advance(20);
    });
    advance(20);
  });
  advance(20);
});
advance(50);
report("left " + script.length);
`;
}

const FAMILIES = ["bg96", "sim7080", "sara-r4"];
beforeAll(() => {
  for (const f of FAMILIES) fs.writeFileSync(path.join(DIR, `${f}.ts`), scenario(f));
});
afterAll(() => fs.rmSync(DIR, { recursive: true, force: true }));

async function nodeOutput(family: string): Promise<string[]> {
  const out: string[] = [];
  const js = ts.transpileModule(scenario(family), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const modems = await import("../../firmware/modems/index.js");
  const at = await import("../../firmware/at/index.js");
  const text = await import("../../firmware/core/text.js");
  const body = js.replace(/^import .*$/gm, "");
  new Function("createModem", "AtEngine", "utf8Text", "report", body)(modems.createModem, at.AtEngine, text.utf16Text, (s: string) => out.push(s));
  return out;
}

async function es5Bundle(family: string): Promise<string> {
  const bundle = await rollup({
    input: path.join(DIR, `${family}.ts`),
    // TypeScript's ES5 class helper (__extends) starts with `this && this.__extends`: harmless at module level.
    onwarn: (w, warn) => (w.code === "THIS_IS_UNDEFINED" ? undefined : warn(w)),
    plugins: [
      {
        name: "ts-es5",
        resolveId(id, importer) {
          if (importer === undefined) return id;
          const abs = path.resolve(path.dirname(importer), id);
          return abs.endsWith(".js") ? abs.slice(0, -3) + ".ts" : abs;
        },
        load(id) {
          return ts.transpileModule(fs.readFileSync(id, "utf8"), { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ES2015, removeComments: true } }).outputText;
        },
      },
    ],
  });
  const { output } = await bundle.generate({ format: "iife", generatedCode: "es5", freeze: false });
  await bundle.close();
  return output[0].code;
}

describe.each(FAMILIES)("%s driver outside Node", (family) => {
  test("Node reference run consumes the whole script without errors", async () => {
    const out = await nodeOutput(family);
    expect(out.filter((l) => l.startsWith("unexpected") || l.startsWith("error"))).toEqual([]);
    expect(out).toContain("left 0");
    expect(out).toContain("open 0 6969");
    expect(out).toContain("sent 2");
    expect(out.filter((l) => l.startsWith("datagram 0 ") && l.endsWith(" 97.98.13.10.79.75"))).toHaveLength(1);
    expect(out).toContain("sms sent 7");
    expect(out).toContain("sms 000 hi there 1 gsm7");
    expect(out).toContain("sms failed at 500 +CMS ERROR: 500");
  });

  test("ES5 bundle: passes the Espruino checker and prints what Node prints", async () => {
    const code = await es5Bundle(family);
    expect(formatProblems(code, checkEspruinoScript(code))).toEqual([]);
    const out: string[] = [];
    const context = vm.createContext({ report: (s: string) => out.push(s) });
    vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
    vm.runInContext(code, context);
    expect(out).toEqual(await nodeOutput(family));
  });

  test("Lua 5.3 (TypeScriptToLua): compiles without diagnostics and prints what Node prints", async () => {
    const tsconfig = {
      compilerOptions: {
        target: "ESNext", module: "ESNext", moduleResolution: "bundler", lib: ["es5", "es2015.core"], types: [],
        strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, rootDir: "/", outDir: path.join(DIR, "lua-" + family),
      },
      include: [path.join(DIR, `${family}.ts`)],
      tstl: {
        luaTarget: "5.3", luaBundle: "modem.lua", luaBundleEntry: path.join(DIR, `${family}.ts`),
        luaPlugins: [{ name: path.join(ROOT, "manifests/lua/strip-js-extension.cjs") }],
        luaLibImport: "require-minimal", noHeader: true, sourceMapTraceback: false,
      },
    };
    const cfg = path.join(DIR, `tsconfig.${family}.json`);
    fs.writeFileSync(cfg, JSON.stringify(tsconfig));
    const tstl = path.join(path.dirname(require.resolve("typescript-to-lua/package.json")), "dist/tstl.js");
    const built = spawnSync(process.execPath, [tstl, "-p", cfg], { encoding: "utf8" });
    expect(built.stdout + built.stderr).toBe("");
    const lua = spawnSync("lua5.3", ["-e", "report = print", path.join(DIR, "lua-" + family, "modem.lua")], { encoding: "latin1" });
    if (lua.error !== undefined) throw new Error("lua5.3 not found: apt-get install lua5.3");
    expect(lua.stderr).toBe("");
    expect(lua.stdout.trimEnd().split("\n")).toEqual(await nodeOutput(family));
  }, 60000);
});
