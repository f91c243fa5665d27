/** A seeded PRNG so property and fuzz tests are repeatable (the seed is printed on failure): the mock network's own. */
export { seededRandom as rng } from "../../host-tools/cloud/mock-network/conditions.js";

export function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function hexOf(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}
