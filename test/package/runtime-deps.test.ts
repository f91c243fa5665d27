/**
 * The package as npm would ship it (fast; the slow check is packed-install.test.ts). From the file list of
 * `npm pack --dry-run` (after `npm run build`), every shipped JavaScript module is parsed with acorn and:
 * - each bare import (static, dynamic with a literal, `require(…)`) names a package in `dependencies`
 *   (node: built-ins excepted) — a devDependency is not installed for users;
 * - each relative import resolves to a shipped file;
 * - the files the CLI reads at run time by path (the firmware bundles, the XS child, the dashboard page) ship,
 *   and tests, fixtures, sources and build scratch do not.
 */
import { beforeAll, describe, expect, test } from "@jest/globals";
import { parse } from "acorn";
import { simple } from "acorn-walk";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; bin: Record<string, string> };

/** Dynamic imports whose specifier is computed, each with why it is safe. */
const COMPUTED_IMPORTS: Record<string, string> = {
  "bin/simcmd.js": "imports dist/host-tools/cli/main.js by its file URL",
};

interface ImportSite {
  spec: string | null;
  kind: "import" | "export" | "dynamic" | "require";
}

/** The import specifiers of one module (null: a dynamic import of a computed value). */
export function importsOf(source: string): ImportSite[] {
  const ast = parse(source, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true });
  const out: ImportSite[] = [];
  const literal = (n: unknown): string | null => {
    const node = n as { type?: string; value?: unknown; expressions?: unknown[]; quasis?: { value: { cooked: string } }[] };
    if (node.type === "Literal" && typeof node.value === "string") return node.value;
    if (node.type === "TemplateLiteral" && node.expressions?.length === 0) return node.quasis?.[0]?.value.cooked ?? null;
    return null;
  };
  simple(ast, {
    ImportDeclaration: (n) => void out.push({ spec: String(n.source.value), kind: "import" }),
    ExportAllDeclaration: (n) => void out.push({ spec: String(n.source.value), kind: "export" }),
    ExportNamedDeclaration: (n) => void (n.source ? out.push({ spec: String(n.source.value), kind: "export" }) : undefined),
    ImportExpression: (n) => void out.push({ spec: literal(n.source), kind: "dynamic" }),
    CallExpression: (n) => {
      if (n.callee.type === "Identifier" && n.callee.name === "require" && n.arguments.length === 1) out.push({ spec: literal(n.arguments[0]), kind: "require" });
    },
  });
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

let shipped: Set<string>;
let modules: string[];

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [info] = JSON.parse(out) as { files: { path: string }[] }[];
  shipped = new Set(info?.files.map((f) => f.path));
  // The device bundles are classic scripts for other engines (XS, Espruino, Moddable), checked below.
  modules = [...shipped].filter((f) => /\.(m?js|cjs)$/.test(f) && !/^dist\/firmware\/(espruino|xs|moddable)\//.test(f) && !f.includes("/dashboard/public/"));
}, 60_000);

describe("the packed file list", () => {
  test("has the CLI, the library, the firmware bundles and what the CLI reads by path", () => {
    const needed = [
      "package.json", "README.md", pkg.bin.simcmd as string, "dist/host-tools/index.js", "dist/host-tools/index.d.ts", "dist/host-tools/cli/main.js",
      "dist/host-tools/runtimes/xs-child.js",
      "dist/firmware/xs/pdu.js", "dist/firmware/xs/agent.js", "dist/firmware/xs/modem-agent.js",
      "dist/firmware/espruino/pdu.js", "dist/firmware/espruino/agent.js",
      "dist/firmware/espruino/modem-agent-bg96.js", "dist/firmware/espruino/modem-agent-sim7080.js", "dist/firmware/espruino/modem-agent-sara-r4.js",
      "dist/firmware/lua/pdu.lua", "dist/firmware/lua/agent.lua",
      "dist/firmware/moddable/main.js", "dist/firmware/moddable/manifest.json",
      "dist/firmware/moddable/modem/main.js", "dist/firmware/moddable/modem/manifest.json", "dist/firmware/xs/moddable-modem.js",
      "dist/host-tools/dashboard/public/index.html", "dist/host-tools/dashboard/public/app.js",
      "deploy/simcmd-bridge.service",
    ];
    expect(needed.filter((f) => !shipped.has(f))).toEqual([]);
  });

  test("has no tests, fixtures, TypeScript sources, build scratch or size reports", () => {
    const bad = [...shipped].filter(
      (f) => /^(test|bench|build|scripts|manifests|firmware|coverage|node_modules)\//.test(f) || /\.test\.|fixtures|\.sizes\.json$|\.tsbuildinfo$/.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    expect(bad).toEqual([]);
  });
});

describe("every module that ships", () => {
  test("imports only packages in dependencies (or node: built-ins)", () => {
    const missing: string[] = [];
    for (const f of modules) {
      for (const { spec, kind } of importsOf(fs.readFileSync(path.join(root, f), "utf8"))) {
        if (spec === null || spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("file:")) continue;
        if (spec.startsWith("node:") || isBuiltin(spec)) continue;
        const name = packageName(spec);
        if (!(name in pkg.dependencies)) missing.push(`${f}: ${kind} '${spec}' — '${name}' is not in dependencies`);
      }
    }
    expect(missing).toEqual([]);
    expect(modules.length).toBeGreaterThan(100);
  });

  test("resolves its relative imports to files that ship; computed imports are the known ones", () => {
    const broken: string[] = [];
    const computed: string[] = [];
    for (const f of modules) {
      for (const { spec, kind } of importsOf(fs.readFileSync(path.join(root, f), "utf8"))) {
        if (spec === null) {
          if (!(f in COMPUTED_IMPORTS)) computed.push(`${f}: ${kind} of a computed specifier`);
          continue;
        }
        if (!spec.startsWith(".")) continue;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
        if (!shipped.has(target)) broken.push(`${f}: '${spec}' → ${target} does not ship`);
      }
    }
    expect(broken).toEqual([]);
    expect(computed).toEqual([]);
  });

  test("the device bundles load only their platform's built-in modules", () => {
    const bundles = [...shipped].filter((f) => /^dist\/firmware\/(espruino|xs|moddable)\/.*\.js$/.test(f));
    expect(bundles.length).toBeGreaterThanOrEqual(7);
    // Espruino's require() gives the board's own modules; Moddable's imports are modules of the SDK that the
    // manifest includes (manifest_base, manifest_net, io, preference); XS under xsnap loads nothing.
    const builtIn: Record<string, RegExp> = { espruino: /^require (Storage|dgram)$/, moddable: /^import (embedded:io\/socket\/udp|embedded:io\/serial|mc\/config|modules|timer|preference)$/, xs: /^$/ };
    const loads = bundles.flatMap((f) => {
      const platform = f.split("/")[2] as string;
      return importsOf(fs.readFileSync(path.join(root, f), "utf8"))
        .map((i) => `${i.kind} ${String(i.spec)}`)
        .filter((l) => !(builtIn[platform] as RegExp).test(l))
        .map((l) => `${f}: ${l}`);
    });
    expect(loads).toEqual([]);
  });
});

describe("the parser finds each kind of import (the check can fail)", () => {
  test.each<[string, (string | null)[]]>([
    ['import { decode } from "cbor-x";', ["cbor-x"]],
    ['import "@endo/init"; export * from "./a.js";', ["@endo/init", "./a.js"]],
    ['export { x } from "@scope/pkg/sub.js";', ["@scope/pkg/sub.js"]],
    ['const m = await import("serialport"); const n = await import(`yaml`);', ["serialport", "yaml"]],
    ['const r = require("better-sqlite3"); const u = await import(url.href);', ["better-sqlite3", null]],
  ])("%s", (src, specs) => {
    expect(importsOf(src).map((i) => i.spec)).toEqual(specs);
  });
});
