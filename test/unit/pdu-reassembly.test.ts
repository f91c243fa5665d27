/** Reassembly of concatenated parts: order, duplicates, interleaving, timeout and eviction (time is passed in). */
import { decodePdu, encodeSubmit, Reassembler, type Pdu } from "../../host-tools/pdu/index.js";
import type { Abandoned } from "../../firmware/core/pdu/index.js";

function parts(text: string, ref: number, to = "+31612345678"): Pdu[] {
  return encodeSubmit({ to, text, ref }).map((p) => decodePdu(p));
}

describe("Reassembler", () => {
  const long = "0123456789".repeat(40); // 400 septets: 3 parts

  test("parts out of order and repeated give the message once", () => {
    const p = parts(long, 9);
    expect(p).toHaveLength(3);
    const re = new Reassembler({});
    const lost: Abandoned[] = [];
    expect(re.add(p[2]!, 0, lost)).toBeNull();
    expect(re.add(p[0]!, 1, lost)).toBeNull();
    expect(re.add(p[0]!, 2, lost)).toBeNull(); // duplicate
    const done = re.add(p[1]!, 3, lost);
    expect(done?.text).toBe(long);
    expect(done?.parts.map((x) => x.udh?.concat?.seq)).toEqual([1, 2, 3]);
    expect(re.add(p[1]!, 4, lost)).toBeNull(); // a late duplicate starts a new, incomplete message
    expect(lost).toEqual([]);
  });

  test("two messages interleaved with different references stay apart", () => {
    const a = parts(long, 1);
    const b = parts(long.split("").reverse().join(""), 2);
    const re = new Reassembler({});
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const x of [a[i]!, b[i]!]) {
        const done = re.add(x, i, []);
        if (done?.text !== undefined) got.push(done.text);
      }
    }
    expect(got).toEqual([long, long.split("").reverse().join("")]);
  });

  test("a missing part is given up after the timeout, reporting what is missing", () => {
    const p = parts(long, 3);
    const re = new Reassembler({ timeoutMs: 1000 });
    re.add(p[0]!, 0, []);
    re.add(p[2]!, 500, []);
    expect(re.expire(999)).toEqual([]);
    const gone = re.expire(1000);
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ missing: [2], reason: "timeout" });
    expect(gone[0]?.parts).toHaveLength(2);
    expect(re.pending).toHaveLength(0);
  });

  test("the oldest message is evicted when maxPending is reached", () => {
    const re = new Reassembler({ maxPending: 2 });
    const lost: Abandoned[] = [];
    for (let ref = 0; ref < 3; ref++) re.add(parts(long, ref)[0]!, ref, lost);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ reason: "evicted", missing: [2, 3] });
    expect(re.pending).toHaveLength(2);
  });

  test("a single-part message is whole at once", () => {
    const re = new Reassembler({});
    expect(re.add(parts("hello", 0)[0]!, 0, [])?.text).toBe("hello");
  });
});
