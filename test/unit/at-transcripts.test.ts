/**
 * Every transcript in test/fixtures/at replayed through the engine: fed whole, byte by byte,
 * split at every byte boundary, and in random chunks. The events (writes, results, URCs,
 * unhandled lines, errors) must be the ones the transcript lists, whatever the chunking.
 */
import fs from "node:fs";
import path from "node:path";
import { loadTranscript, replay, type Chunker } from "../helpers/at-transcript.js";
import { int, rng } from "../helpers/random.js";

const dir = path.resolve("test/fixtures/at");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
const transcripts = files.map((f) => loadTranscript(path.join(dir, f)));

const byteByByte: Chunker = (bytes) => bytes.map((b) => [b]);

/** Splits the one feed that holds global byte `k` at `k` (a cut between bytes k-1 and k). */
function splitAt(k: number): Chunker {
  return (bytes, offset) => {
    const i = k - offset;
    return i > 0 && i < bytes.length ? [bytes.slice(0, i), bytes.slice(i)] : [bytes];
  };
}

function randomChunks(seed: number): Chunker {
  const r = rng(seed);
  return (bytes) => {
    const out: number[][] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = int(r, 1, 17);
      out.push(bytes.slice(i, i + n));
      i += n;
    }
    return out;
  };
}

test("the fixture directory has the transcripts", () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
  // Each names where it comes from: a public capture ("Source") or the manuals ("Written from").
  for (const f of files) expect(fs.readFileSync(path.join(dir, f), "latin1")).toMatch(/^# .*(Source|Written from)/m);
});

describe.each(transcripts.map((t) => [t.name, t] as const))("%s", (_name, t) => {
  test("fed whole: the expected events", () => {
    expect(replay(t)).toEqual(t.expected);
  });

  test("fed byte by byte: the same events", () => {
    expect(replay(t, byteByByte)).toEqual(t.expected);
  });

  test("split at every byte boundary: the same events", () => {
    for (let k = 1; k < t.modemBytes; k++) {
      const got = replay(t, splitAt(k));
      if (JSON.stringify(got) !== JSON.stringify(t.expected)) {
        expect({ split: k, events: got }).toEqual({ split: k, events: t.expected });
      }
    }
  });

  test("random chunkings (seeded): the same events", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const got = replay(t, randomChunks(seed));
      if (JSON.stringify(got) !== JSON.stringify(t.expected)) {
        expect({ seed, events: got }).toEqual({ seed, events: t.expected });
      }
    }
  });
});
