/**
 * TypeScriptToLua plugin: the firmware imports siblings as "./x.js" (what Node's ESM resolution
 * and tsc's NodeNext mode require), but TSTL looks for "./x.js.ts". For relative module ids ending
 * in ".js", resolve the id without the extension instead (TSTL then finds ./x.ts).
 * Enabled by manifests/lua/tsconfig.lua.json (tstl.luaPlugins).
 */
/* global module */
module.exports = {
  moduleResolution(moduleIdentifier) {
    if (moduleIdentifier.startsWith(".") && moduleIdentifier.endsWith(".js")) {
      return moduleIdentifier.slice(0, -3);
    }
    return undefined;
  },
};
