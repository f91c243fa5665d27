/**
 * The few Lua 5.3 standard-library globals the Lua port uses (TypeScriptToLua emits these names
 * as written). `@noSelf`: called with `.`, not `:`. Methods of LuaFile take self (`io.stdout:flush()`).
 */

interface LuaFile {
  write(this: LuaFile, ...parts: string[]): LuaFile;
  flush(this: LuaFile): void;
}

/** @noSelf */
interface LuaIo {
  /** `"l"`: the next line without its newline, or nil (undefined) at end of input. */
  read(format: "l"): string | undefined;
  write(...parts: string[]): LuaFile;
  stdout: LuaFile;
  stderr: LuaFile;
}
declare const io: LuaIo;

/** @noSelf */
declare namespace string {
  function format(fmt: string, ...args: unknown[]): string;
}

/** @noSelf */
declare namespace math {
  /** The integer equal to x, or nil when x has no integer representation. */
  function tointeger(x: number): number | undefined;
}

/** @noSelf */
declare function tostring(value: unknown): string;

/** @noSelf */
declare namespace os {
  /** CPU time used by the program, in seconds. */
  function clock(): number;
}
