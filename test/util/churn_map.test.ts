/** ChurnMap behaves as a Map in insertion order through copies and deletes while iterating. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ChurnMap, deletesBeforeCopyMin } from "../../src/util/churn_map";

type Step = { op: "set"; key: number; value: number } | { op: "delete"; key: number } | { op: "forgetVisited"; below: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), key: fc.integer({ min: 0, max: 64 }), value: fc.integer() }),
  fc.record({ op: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 64 }) }),
  fc.record({ op: fc.constant("forgetVisited" as const), below: fc.integer({ min: 0, max: 64 }) }),
);

describe("ChurnMap", () => {
  test("behaves as a Map, in insertion order, through copies and deletes while iterating", () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 400 }), fc.integer({ min: 0, max: 3 * deletesBeforeCopyMin }), (steps, churn) => {
      const model = new Map<number, number>();
      const map = new ChurnMap<number, number>();
      // Churn first, so copies happen during the steps that follow.
      for (let index = 0; index < churn; index++) {
        map.set(1000 + index, index);
        expect(map.delete(1000 + index)).toBe(true);
      }
      for (const item of steps) {
        if (item.op === "set") {
          model.set(item.key, item.value);
          map.set(item.key, item.value);
        } else if (item.op === "delete") {
          expect(map.delete(item.key)).toBe(model.delete(item.key));
        } else {
          for (const key of model.keys()) if (key < item.below) model.delete(key);
          for (const key of map.keys()) if (key < item.below) map.delete(key);
        }
        expect(map.size).toBe(model.size);
      }
      expect([...map]).toEqual([...model]);
      expect([...map.values()]).toEqual([...model.values()]);
      for (const key of model.keys()) expect(map.get(key)).toBe(model.get(key));
      expect(map.has(-1)).toBe(false);
    }));
  });

  test("a long stream of inserts and deletes leaves exactly the live entries, in order", () => {
    const map = new ChurnMap<number, { payload: Uint8Array }>();
    const live = 16;
    const total = 20 * deletesBeforeCopyMin;
    for (let id = 0; id < total; id++) {
      map.set(id, { payload: new Uint8Array(8).fill(id & 0xff) });
      if (id >= live) expect(map.delete(id - live)).toBe(true);
    }
    expect(map.size).toBe(live);
    expect([...map.keys()]).toEqual(Array.from({ length: live }, (_, index) => total - live + index));
    expect(map.get(total - 1)!.payload[0]).toBe((total - 1) & 0xff);
    expect(map.delete(0)).toBe(false);
    map.clear();
    expect(map.size).toBe(0);
    expect([...map]).toEqual([]);
  });
});
