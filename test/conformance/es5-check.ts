/**
 * Static checks that a script runs on Espruino (DESIGN.md §8): it must parse as ECMAScript 5
 * (so no let/const, arrows, classes, template literals, destructuring, spread, default
 * parameters, generators, async, `?.`, `??` — Espruino has some of these, but the bundle is
 * meant to be plain ES5), reference no global Espruino lacks, and call no top-level function
 * before its declaration (Espruino runs a script while it parses it).
 */
import * as acorn from "acorn";
import * as walk from "acorn-walk";

/** Globals Espruino 2v29 does not have (DESIGN.md §8, plus their close relatives). */
export const BANNED_GLOBALS = [
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "Symbol",
  "RangeError",
  "TextEncoder",
  "TextDecoder",
  "Reflect",
  "Proxy",
  "BigInt",
  "Intl",
];

/** Static members Espruino does not have: `Object.member`. */
export const BANNED_MEMBERS: Record<string, string[]> = {
  Number: ["isInteger", "isSafeInteger"],
  Array: ["from", "of"],
  Math: ["imul", "clz32", "fround"],
  String: ["fromCodePoint"], // 8-bit strings: text travels as UTF-8 bytes
};

export interface Problem {
  message: string;
  /** Character offset in the script. */
  offset: number;
}

type Node = acorn.Node & Record<string, unknown>;

function topLevelBodies(program: acorn.Program): acorn.Node[][] {
  const bodies: acorn.Node[][] = [program.body as acorn.Node[]];
  // Immediately invoked function expressions at top level (rollup's IIFE wrapper) run at once too.
  walk.recursive(program as acorn.Node, null, {
    Function() {},
    CallExpression(node, st, c) {
      const call = node as unknown as acorn.CallExpression;
      const callee = call.callee as Node;
      if (callee.type === "FunctionExpression") {
        bodies.push((callee as unknown as acorn.FunctionExpression).body.body as acorn.Node[]);
      }
      for (const a of call.arguments) c(a as acorn.AnyNode, st);
    },
  });
  return bodies;
}

/** Calls, run while the body runs, of functions declared later in the same body. */
function checkDeclarationOrder(body: acorn.Node[], problems: Problem[]): void {
  const declaredAt = new Map<string, number>();
  body.forEach((stmt, i) => {
    if (stmt.type === "FunctionDeclaration") {
      const id = (stmt as unknown as acorn.FunctionDeclaration).id;
      if (id) declaredAt.set(id.name, i);
    }
  });
  body.forEach((stmt, i) => {
    if (stmt.type === "FunctionDeclaration") return;
    walk.recursive(stmt, null, {
      Function() {}, // bodies of nested functions run later
      Identifier(node) {
        const name = (node as unknown as acorn.Identifier).name;
        const at = declaredAt.get(name);
        if (at !== undefined && at > i) {
          problems.push({ message: `function ${name} is used before its declaration`, offset: node.start });
        }
      },
    });
  });
}

/** Returns every problem found; an empty array means the script passed. */
export function checkEspruinoScript(code: string): Problem[] {
  let program: acorn.Program;
  try {
    program = acorn.parse(code, { ecmaVersion: 5, sourceType: "script" });
  } catch (e) {
    const err = e as SyntaxError & { pos?: number };
    return [{ message: `not ECMAScript 5: ${err.message}`, offset: err.pos ?? 0 }];
  }
  const problems: Problem[] = [];
  walk.simple(program as acorn.Node, {
    Identifier(node) {
      const name = (node as unknown as acorn.Identifier).name;
      if (BANNED_GLOBALS.includes(name)) {
        problems.push({ message: `${name} is not available on Espruino`, offset: node.start });
      }
    },
    MemberExpression(node) {
      const m = node as unknown as acorn.MemberExpression;
      if (m.object.type !== "Identifier" || m.computed || m.property.type !== "Identifier") return;
      const banned = BANNED_MEMBERS[m.object.name];
      if (banned !== undefined && banned.includes(m.property.name)) {
        problems.push({ message: `${m.object.name}.${m.property.name} is not available on Espruino`, offset: node.start });
      }
    },
  });
  for (const body of topLevelBodies(program)) checkDeclarationOrder(body, problems);
  return problems;
}

/** Problems as "line:column message" lines, for readable test failures. */
export function formatProblems(code: string, problems: Problem[]): string[] {
  return problems.map((p) => {
    const before = code.slice(0, p.offset).split("\n");
    return `${before.length}:${(before[before.length - 1] ?? "").length + 1} ${p.message}`;
  });
}
