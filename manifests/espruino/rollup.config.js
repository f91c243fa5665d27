/**
 * Rollup configurations for the JavaScript firmware bundles. Input: the ES5 ES modules that
 * `tsc -p firmware/tsconfig.json` writes to build/firmware/. Output: one classic script each
 * (IIFE) that defines a single global. `generatedCode: "es5"` keeps rollup's own glue ES5
 * (no const, arrows or shorthand), which test/conformance/espruino-es5.test.ts checks.
 *
 * The Espruino bundles are minified by terser (`espruinoMinify`): on a board every parameter and
 * local name of a loaded function is a variable in RAM, and shorter names need fewer of them (the
 * function bodies themselves stay in flash when the bundle runs from Storage — docs/agent.md).
 * The modem agent is built once per modem family, each bundle with that family's driver alone.
 *
 * Used by scripts/build.js (rollup's JS API), or directly:
 *   npx rollup -c manifests/espruino/rollup.config.js      (after the tsc step)
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The modem families with an Espruino bundle each (dist/firmware/espruino/modem-agent-<family>.js). */
export const MODEM_FAMILIES = ["bg96", "sim7080", "sara-r4"];

/**
 * terser's settings for Espruino. ES5 in and out. Function declarations stay where they are
 * (`hoist_funs: false`, terser's default, named here because it matters): Espruino does not hoist,
 * so a declaration moved after a use breaks the bundle — test/conformance/es5-check.ts checks the
 * order in every function body of the output.
 */
export const TERSER_OPTIONS = {
  ecma: 5,
  compress: { passes: 2, hoist_funs: false },
  mangle: true,
  format: { comments: false },
};

/** A rollup output plugin: each chunk through terser with TERSER_OPTIONS. */
export function espruinoMinify() {
  return {
    name: "simcmd-espruino-minify",
    async renderChunk(code) {
      const { minify } = await import("terser");
      const r = await minify(code, TERSER_OPTIONS);
      if (r.code === undefined) throw new Error("terser returned no code");
      return { code: r.code, map: null };
    },
  };
}

/** Package root (two levels above this file). */
const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Output options every bundle shares. */
const common = {
  format: "iife",
  generatedCode: "es5",
  // No Object.freeze on namespace objects, no __esModule marker: neither is needed on devices.
  freeze: false,
  esModule: false,
  externalLiveBindings: false,
  sourcemap: false,
};

/** Output options of the Espruino bundles: the common ones, minified. */
const espruino = { ...common, plugins: [espruinoMinify()] };

/**
 * A rollup plugin: Moddable's module names resolve to their xs-host stand-ins, served by the Node
 * host's HAL (firmware/ports/xs-host/moddable-apis.ts), so the Moddable entry runs in xsnap.
 */
function moddableApis(built) {
  const apis = path.join(built, "xs-host/moddable-apis.js");
  const names = { "embedded:io/serial": "Serial", timer: "Timer", preference: "Preference", modules: "Modules", "mc/config": "config" };
  return {
    name: "moddable-apis",
    resolveId: (id) => (Object.hasOwn(names, id) ? "\0moddable:" + id : null),
    load: (id) => (id.startsWith("\0moddable:") ? `export { ${names[id.slice("\0moddable:".length)]} as default } from ${JSON.stringify(apis)};` : null),
  };
}

/**
 * @param {string} [root] package root; default: the one this file lives in.
 * @returns {Array<{name: string, family?: string, input: import("rollup").InputOptions, output: import("rollup").OutputOptions}>}
 *   `family`: the modem family of a per-family bundle (`simcmd build --modem` builds only its own).
 */
export function firmwareBundles(root = defaultRoot) {
  const built = path.join(root, "build/firmware/ports");
  const dist = path.join(root, "dist/firmware");
  return [
    {
      // Espruino: `var simcmdPdu = {decode, encode, encodeSubmit, text}`.
      name: "espruino",
      input: { input: path.join(built, "espruino/pdu-entry.js"), treeshake: true },
      output: { ...espruino, file: path.join(dist, "espruino/pdu.js"), name: "simcmdPdu", exports: "named" },
    },
    {
      // Espruino: `var simcmdAgent = {start}` (firmware/ports/espruino/agent-entry.ts).
      name: "espruino",
      input: { input: path.join(built, "espruino/agent-entry.js"), treeshake: true },
      output: { ...espruino, file: path.join(dist, "espruino/agent.js"), name: "simcmdAgent", exports: "named" },
    },
    // Espruino with a cellular modem, one bundle per family: `var simcmdModemAgent = {start}`
    // (firmware/ports/espruino/modem-agent-<family>-entry.ts).
    ...MODEM_FAMILIES.map((family) => ({
      name: "espruino",
      family,
      input: { input: path.join(built, `espruino/modem-agent-${family}-entry.js`), treeshake: true },
      output: { ...espruino, file: path.join(dist, `espruino/modem-agent-${family}.js`), name: "simcmdModemAgent", exports: "named" },
    })),
    {
      // xsnap: `var handleCommand = function (ArrayBuffer) → ArrayBuffer`.
      name: "xs",
      input: { input: path.join(built, "xs-host/pdu-entry.js"), treeshake: true },
      output: { ...common, file: path.join(dist, "xs/pdu.js"), name: "handleCommand", exports: "default" },
    },
    {
      // xsnap: the device agent, `var handleCommand = …` (firmware/ports/xs-host/agent-entry.ts).
      name: "xs",
      input: { input: path.join(built, "xs-host/agent-entry.js"), treeshake: true },
      output: { ...common, file: path.join(dist, "xs/agent.js"), name: "handleCommand", exports: "default" },
    },
    {
      // xsnap: the device agent behind a modem (AT engine + driver), `var handleCommand = …`
      // (firmware/ports/xs-host/modem-agent-entry.ts).
      name: "xs",
      input: { input: path.join(built, "xs-host/modem-agent-entry.js"), treeshake: true },
      output: { ...common, file: path.join(dist, "xs/modem-agent.js"), name: "handleCommand", exports: "default" },
    },
    {
      // xsnap: the Moddable modem firmware (firmware/ports/moddable/modem-main.ts) over stand-ins for
      // Moddable's modules (firmware/ports/xs-host/moddable-modem-entry.ts), `var handleCommand = …`.
      name: "xs",
      input: { input: path.join(built, "xs-host/moddable-modem-entry.js"), treeshake: true, context: "this", plugins: [moddableApis(built)] },
      output: { ...common, file: path.join(dist, "xs/moddable-modem.js"), name: "handleCommand", exports: "default" },
    },
    {
      // Moddable: one ES module (main.js) beside manifests/moddable/manifest.json; Moddable's own
      // modules stay imports for mcconfig to resolve.
      name: "moddable",
      input: {
        input: path.join(built, "moddable/main.js"),
        // Moddable's modules have no import-time side effects worth keeping: an unused one (the
        // serial HAL in UDP mode) is then not linked into the firmware.
        treeshake: { moduleSideEffects: "no-external" },
        external: ["embedded:io/socket/udp", "embedded:io/serial", "timer", "preference", "mc/config"],
      },
      output: { ...common, format: "es", file: path.join(dist, "moddable/main.js") },
    },
    {
      // Moddable behind a cellular modem: main.js beside manifests/moddable/modem/manifest.json
      // (firmware/ports/moddable/modem-main.ts); all three drivers, the family is the config's.
      name: "moddable",
      input: {
        input: path.join(built, "moddable/modem-main.js"),
        treeshake: { moduleSideEffects: "no-external" },
        // `context`: TypeScript's ES5 `__extends` helper reads top-level `this`.
        context: "this",
        external: ["embedded:io/serial", "embedded:io/digital", "timer", "preference", "modules", "mc/config"],
      },
      output: { ...common, format: "es", file: path.join(dist, "moddable/modem/main.js") },
    },
  ];
}

export default firmwareBundles().map((b) => ({ ...b.input, output: b.output }));
