/**
 * Decode warnings: what is wrong but readable is decoded and reported with a stable code and offset
 * (docs/pdu.md "Warnings"); what cannot be read stays an incomplete / malformed error. Driven by the
 * constructed table (test/fixtures/pdu-lenient.ts) and the real vectors that carry warnings; every code
 * the decoder can produce is documented, and every documented code is produced by some vector.
 */
import { readFileSync, readdirSync } from "node:fs";
import { decodePdu, type Pdu } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { LENIENT } from "../fixtures/pdu-lenient.js";
import { VECTORS, type Vector } from "../fixtures/vectors.js";

const decode = (v: Vector) => decodePdu(v.pdu, { smsc: v.smsc, direction: v.direction, text: utf16Text });

describe.each(LENIENT.map((v) => [v.id, v] as const))("%s", (_id, v) => {
  test(v.expect.error === undefined ? "decodes with the warnings its rule gives" : `fails as ${v.expect.error}`, () => {
    const r = decode(v);
    if (v.expect.error !== undefined) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe(v.expect.error);
      return;
    }
    if (!r.ok) throw new Error(`${v.id}: ${r.error.code}: ${r.error.message}`);
    expect(r.pdu).toMatchObject(v.expect);
    if (v.expect.warnings === undefined) expect(r.pdu.warnings).toBeUndefined();
    for (const w of r.pdu.warnings ?? []) expect(w.message).toMatch(new RegExp(` at octet ${w.offset}$`));
  });
});

/** The codes in docs/pdu.md's warnings table. */
function documentedCodes(): string[] {
  const doc = readFileSync(new URL("../../docs/pdu.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Warnings"), doc.indexOf("\n## ", doc.indexOf("## Warnings") + 3));
  return [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1] as string);
}

/** The codes the decoder's source passes to warning(). */
function sourceCodes(): string[] {
  const dir = new URL("../../firmware/core/pdu/", import.meta.url);
  const codes = new Set<string>();
  for (const f of readdirSync(dir)) {
    for (const m of readFileSync(new URL(f, dir), "utf8").matchAll(/\bwarning\("([a-z0-9-]+)"/g)) codes.add(m[1] as string);
  }
  return [...codes].sort();
}

test("the warning codes are stable: each one the decoder produces is documented, each documented one is produced by a vector", () => {
  const documented = documentedCodes();
  expect(documented.length).toBeGreaterThanOrEqual(9);
  expect(sourceCodes()).toEqual([...documented].sort());
  const seen = new Set<string>();
  for (const v of [...VECTORS, ...LENIENT]) {
    const r = decode(v);
    for (const w of r.ok ? (r.pdu as Pdu).warnings ?? [] : []) seen.add(w.code);
  }
  expect([...seen].sort()).toEqual([...documented].sort());
});
