/**
 * The Espruino bundle is ES5 and uses nothing Espruino lacks (static check with acorn), and its
 * global API works when loaded as a plain script (Node vm without Map, Set, Symbol, …).
 */
import fs from "node:fs";
import ts from "typescript";
import { checkEspruinoScript, formatProblems } from "./es5-check.js";
import { builtFile, fromUtf8Bytes, loadEspruinoBundle, toUtf8Bytes } from "./espruino-vm.js";
import { encodeSubmit } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";

describe("espruino bundle: static checks", () => {
  test.each(["pdu.js", "agent.js", "modem-agent-bg96.js", "modem-agent-sim7080.js", "modem-agent-sara-r4.js"])("dist/firmware/espruino/%s is ES5 and avoids what Espruino lacks", (file) => {
    const code = fs.readFileSync(builtFile(`dist/firmware/espruino/${file}`), "utf8");
    expect(formatProblems(code, checkEspruinoScript(code))).toEqual([]);
  });

  test("the checker rejects new Map()", () => {
    const problems = checkEspruinoScript("var m = new Map(); m.set(1, 2);");
    expect(problems.map((p) => p.message)).toEqual(["Map is not available on Espruino"]);
  });

  test("the checker rejects let (not ES5)", () => {
    const problems = checkEspruinoScript("let x = 1;");
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^not ECMAScript 5/);
  });

  test("the checker rejects banned static members and arrows", () => {
    expect(checkEspruinoScript("var a = Array.from('ab'); var b = Number.isInteger(1);")).toHaveLength(2);
    expect(checkEspruinoScript("var f = function () { return Math.imul(2, 3); };")).toHaveLength(1);
    expect(checkEspruinoScript("var f = (x) => x;")[0]?.message).toMatch(/^not ECMAScript 5/);
    // Property names and non-global members are fine.
    expect(checkEspruinoScript("var o = { Map: 1 }; o.Map = o.Set; var n = o.from;")).toEqual([]);
  });

  test("the checker rejects TypeScript's ES5 emit of class inheritance (__extends before the constructor's declaration)", () => {
    const source = "class A { a() { return 1; } }\nexport class B extends A { b() { return 2; } }\n";
    const es5 = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.None } }).outputText;
    // Inside a bundle's wrapper, as rollup's IIFE output has it.
    const messages = checkEspruinoScript(`var bundle = (function (exports) {\n${es5}\nreturn exports;\n})({});`).map((p) => p.message);
    expect(messages).toContain("function B is used before its declaration");
  });

  test("the checker looks into every function body and into immediately invoked functions, minding shadowing", () => {
    const inFunction = "function t() { var r = typeof g; function g() {} return r; }";
    expect(checkEspruinoScript(inFunction).map((p) => p.message)).toEqual(["function g is used before its declaration"]);
    const inIife = "(function () { var x = (function () { return later(); })(); function later() { return 1; } })();";
    expect(checkEspruinoScript(inIife).map((p) => p.message)).toEqual(["function later is used before its declaration"]);
    const shadowed = "(function () { var x = (function (later) { return later(); })(function () {}); function later() {} })();";
    expect(checkEspruinoScript(shadowed)).toEqual([]);
  });

  test("the checker rejects top-level calls before the function's declaration", () => {
    const late = "(function () { var t = build(); function build() { return 1; } })();";
    expect(checkEspruinoScript(late).map((p) => p.message)).toEqual([
      "function build is used before its declaration",
    ]);
    const fine = "(function () { function build() { return 1; } var t = build(); var g = function () { return later(); }; function later() {} })();";
    expect(checkEspruinoScript(fine)).toEqual([]);
  });
});

describe("espruino bundle: global simcmdPdu in a plain-script context", () => {
  const pdu = loadEspruinoBundle();
  const sms = (text: string): string => {
    const r = encodeSubmit({ to: "+31612345678", text, smsc: "+31624000000" }, utf16Text);
    if (!r.ok) throw new Error(r.error.message);
    return r.parts[0] as string;
  };

  test("decodes a GSM 7-bit SMS-DELIVER", () => {
    const r = pdu.decode("07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07");
    expect(r).toMatchObject({ type: "deliver", smsc: "+31624000000", originator: "+31641600986", text: "How are you?" });
  });

  test("text beyond Latin-1 comes back as UTF-8 bytes", () => {
    for (const text of ["Şükrü €", "日本語 😀", "Grüße"]) {
      const r = pdu.decode(sms(text), { smsc: true });
      expect(r["type"]).toBe("submit");
      expect(r["text"]).toBe(toUtf8Bytes(text));
      expect(fromUtf8Bytes(r["text"] as string)).toBe(text);
    }
  });

  test("smsc: false reads a bare TPDU; an absent SMSC is null", () => {
    const r = pdu.decode(sms("hi").slice(16), { smsc: false });
    expect(r).toMatchObject({ type: "submit", smsc: null, text: "hi" });
  });

  test("encodeSubmit takes UTF-8 bytes and matches the Node codec", () => {
    const r = pdu.encodeSubmit({ to: "+31612345678", text: toUtf8Bytes("Şükrü €"), smsc: "+31624000000" });
    expect(r).toEqual({ parts: [sms("Şükrü €")] });
  });

  test("encode(decode(x)) gives x back", () => {
    const hex = sms("round trip €");
    const decoded = pdu.decode(hex);
    expect(pdu.encode(decoded, { smsc: true })).toEqual({ hex });
  });

  test("errors are returned, never thrown", () => {
    expect(pdu.decode("0791")).toMatchObject({ error: { code: "truncated" } });
    expect(pdu.decode("zz")).toHaveProperty("error.code");
    expect(pdu.decode(42)).toMatchObject({ error: { code: "invalid-input" } });
    expect(pdu.encode(null)).toMatchObject({ error: { code: "invalid-input" } });
    expect(pdu.encodeSubmit({})).toMatchObject({ error: { code: "invalid-input" } });
  });
});
