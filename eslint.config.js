// typescript-eslint on all TypeScript; plain JS (bin/, scripts/, bench/) gets the core rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", fetch: "readonly", performance: "readonly" },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },
  {
    // Production code never depends on the mock: the bridge and the platform clients are what users run
    // against the real platforms; the mock cloud (host-tools/cloud) uses host-tools/platform, not the reverse.
    files: ["host-tools/bridge/**/*.ts", "host-tools/platform/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/cloud", "**/cloud/**"], message: "the bridge and host-tools/platform must not import the mock cloud (host-tools/cloud)" }] },
      ],
    },
  },
  {
    // The dashboard's page script runs in the browser, as is (no build step).
    files: ["host-tools/dashboard/public/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { document: "readonly", window: "readonly", fetch: "readonly", EventSource: "readonly", console: "readonly" },
    },
  },
  {
    files: ["firmware/**/*.ts"],
    rules: {
      // Device code: nothing Espruino (ES5 subset) or Lua lacks (test/conformance/es5-check.ts lists what Espruino misses).
      "no-restricted-syntax": [
        "error",
        { selector: "SpreadElement", message: "no spread in device code (Espruino)" },
        { selector: "ObjectPattern", message: "no destructuring in device code (Espruino)" },
        { selector: "ArrayPattern", message: "no destructuring in device code (Espruino)" },
        { selector: "AssignmentPattern", message: "no default parameters in device code (Espruino)" },
        { selector: "FunctionDeclaration[generator=true]", message: "no generators in device code" },
        { selector: "FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]", message: "no async in device code" },
        { selector: "ChainExpression", message: "no optional chaining in device code (Espruino)" },
        { selector: "LogicalExpression[operator='??']", message: "no ?? in device code (Espruino)" },
        { selector: "Literal[regex]", message: "no regex in device code (parsers are hand-written; Lua has none)" },
        { selector: "NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Proxy)$/]", message: "no Map/Set/WeakMap/Proxy in device code (Espruino)" },
        { selector: "CallExpression[callee.name='Symbol']", message: "no Symbol in device code (Espruino)" },
      ],
    },
  },
);
