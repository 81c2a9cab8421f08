/**
 * RecentEntries against a plain array model: after any sequence of adds (in order or not),
 * truncations, drops and clears, it holds exactly the newest contiguous run the model keeps
 * within its count and byte bounds, and get() answers for exactly those indexes.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { entryBytes } from "../../../src/cluster/raft/entries.ts";
import type { Entry } from "../../../src/cluster/raft/types.ts";
import { RecentEntries } from "../../../src/cluster/storage/recent_entries.ts";

const countMax = 8;
const bytesMax = 400;
/** Fixed seed so a failure replays; fast-check prints the shrunk counterexample. */
const seed = 20261125;

type Operation =
  | { kind: "next"; dataBytes: number }
  | { kind: "jump"; index: number }
  | { kind: "truncateAfter"; back: number }
  | { kind: "dropBefore"; ahead: number }
  | { kind: "clear" };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("next" as const), dataBytes: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("jump" as const), index: fc.integer({ min: 1, max: 500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncateAfter" as const), back: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dropBefore" as const), ahead: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
);

function entry(index: number, dataBytes: number): Entry {
  return { index, term: 1, kind: "normal", data: new Uint8Array(dataBytes) } as Entry;
}

/** The model: the kept run as a plain array, trimmed from the front to the bounds. */
function trim(kept: Entry[]): Entry[] {
  let bytes = kept.reduce((sum, each) => sum + entryBytes(each), 0);
  let drop = 0;
  while (kept.length - drop > 1 && (kept.length - drop > countMax || bytes > bytesMax)) bytes -= entryBytes(kept[drop++]!);
  return kept.slice(drop);
}

describe("RecentEntries", () => {
  test("holds the newest contiguous run within its bounds, like an array model", () => {
    fc.assert(fc.property(fc.array(operationArbitrary, { maxLength: 300 }), (operations) => {
      const recent = new RecentEntries(countMax, bytesMax);
      let model: Entry[] = [];
      let nextIndex = 1;
      for (const operation of operations) {
        const newest = model.length > 0 ? model[model.length - 1]!.index : nextIndex - 1;
        switch (operation.kind) {
          case "next": {
            const added = entry(newest + 1, operation.dataBytes);
            recent.add(added);
            model = trim([...model, added]);
            nextIndex = added.index + 1;
            break;
          }
          case "jump": {
            const added = entry(operation.index, 10);
            recent.add(added);
            model = model.length > 0 && model[model.length - 1]!.index + 1 === added.index ? trim([...model, added]) : [added];
            nextIndex = added.index + 1;
            break;
          }
          case "truncateAfter":
            recent.truncateAfter(newest - operation.back);
            model = model.filter((each) => each.index <= newest - operation.back);
            break;
          case "dropBefore": {
            const first = (model[0]?.index ?? nextIndex) + operation.ahead;
            recent.dropBefore(first);
            model = model.filter((each) => each.index >= first);
            break;
          }
          case "clear":
            recent.clear();
            model = [];
            break;
        }
        expect(recent.size).toBe(model.length);
        const low = (model[0]?.index ?? nextIndex) - 2;
        const high = (model[model.length - 1]?.index ?? nextIndex) + 2;
        for (let index = Math.max(0, low); index <= high; index++) {
          expect(recent.get(index)).toBe(model.find((each) => each.index === index));
        }
      }
    }), { seed, numRuns: 300 });
  });

  test("a long run of adds keeps only the newest countMax entries", () => {
    const recent = new RecentEntries(4096, 1 << 30);
    for (let index = 1; index <= 100_000; index++) recent.add(entry(index, 1));
    expect(recent.size).toBe(4096);
    expect(recent.get(100_000 - 4096)).toBeUndefined();
    expect(recent.get(100_000 - 4095)?.index).toBe(100_000 - 4095);
    expect(recent.get(100_000)?.index).toBe(100_000);
  });
});
