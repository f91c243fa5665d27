/**
 * Static checks that a script runs on Espruino (2v29, as measured on its Linux build): it must parse as ECMAScript 5
 * (so no let/const, arrows, classes, template literals, destructuring, spread, default
 * parameters, generators, async, `?.`, `??` — Espruino has some of these, but the bundle is
 * meant to be plain ES5), reference no global Espruino lacks, and use no function before its
 * declaration in any body — the script's or a function's. Espruino runs code while it parses it
 * and does not hoist function declarations, at top level or inside functions (checked on
 * Espruino 2v29: `function t() { var r = typeof g; function g() {} return r; }` returns
 * "undefined"). TypeScript's ES5 emit of `class B extends A` is the classic case: it calls
 * `__extends(B, _super)` before `function B`.
 *
 * The order check is static: it looks at the statements of each body that run when the body runs,
 * including immediately invoked function expressions, but not into other nested functions (which
 * may run later), so a nested function called before a later declaration it uses is not caught.
 * Real Espruino remains the judge (docs/agent.md).
 */
import * as acorn from "acorn";
import * as walk from "acorn-walk";

/** Globals Espruino 2v29 does not have (measured: it lacks Map, Set, Symbol, WeakMap, TextEncoder …), plus their close relatives. */
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

/** The statement lists that run in order: the script's, and the body of every function. */
function bodies(program: acorn.Program): acorn.Node[][] {
  const out: acorn.Node[][] = [program.body as acorn.Node[]];
  walk.simple(program as acorn.Node, {
    Function(node) {
      const body = (node as unknown as acorn.Function).body;
      if (body.type === "BlockStatement") out.push(body.body as acorn.Node[]);
    },
  });
  return out;
}

/** Uses, while the body runs, of functions declared later in the same body. */
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
    walk.recursive(stmt, new Set<string>(), {
      Function() {}, // bodies of nested functions run later…
      CallExpression(node, shadowed, c) {
        const call = node as unknown as acorn.CallExpression;
        const callee = call.callee as Node;
        // …except an immediately invoked one, which runs now (its own names hide the outer ones).
        if (callee.type === "FunctionExpression") c((callee as unknown as acorn.FunctionExpression).body, union(shadowed, namesDeclaredIn(callee as unknown as acorn.FunctionExpression)));
        else c(call.callee, shadowed);
        for (const a of call.arguments) c(a as acorn.AnyNode, shadowed);
      },
      Identifier(node, shadowed) {
        const name = (node as unknown as acorn.Identifier).name;
        const at = declaredAt.get(name);
        if (at !== undefined && at > i && !shadowed.has(name)) {
          problems.push({ message: `function ${name} is used before its declaration`, offset: node.start });
        }
      },
    });
  });
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

/** The names a function declares for its own body: parameters, `var`s and function declarations. */
function namesDeclaredIn(f: acorn.Function): Set<string> {
  const names = new Set<string>();
  for (const p of f.params) if (p.type === "Identifier") names.add(p.name);
  walk.recursive(f.body as acorn.Node, null, {
    Function(node) {
      const d = node as unknown as acorn.Function;
      if (d.type === "FunctionDeclaration" && d.id) names.add(d.id.name);
    },
    VariableDeclarator(node) {
      const id = (node as unknown as acorn.VariableDeclarator).id;
      if (id.type === "Identifier") names.add(id.name);
    },
  });
  return names;
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
  for (const body of bodies(program)) checkDeclarationOrder(body, problems);
  return problems;
}

/** Problems as "line:column message" lines, for readable test failures. */
export function formatProblems(code: string, problems: Problem[]): string[] {
  return problems.map((p) => {
    const before = code.slice(0, p.offset).split("\n");
    return `${before.length}:${(before[before.length - 1] ?? "").length + 1} ${p.message}`;
  });
}
