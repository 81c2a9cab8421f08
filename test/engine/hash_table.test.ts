/**
 * The open-addressing table behaves as a Map from int32 hashes, through growth and through
 * deletions in the middle of probe runs (hashes drawn from a small range, or sharing their low
 * bits, so runs are long and wrap around the table's end).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HashTable } from "../../src/engine/hash_table.ts";

describe("hash slots", () => {
  test("behaves as a Map under random sets and deletes, across growth", () => {
    const sameLowBits = fc.integer({ min: -64, max: 64 }).map((high) => (high * 1024 + 1023) | 0);
    const hash = fc.oneof(fc.integer({ min: -3000, max: 3000 }), sameLowBits, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    const operation = fc.record({ delete: fc.boolean(), hash });
    fc.assert(
      fc.property(fc.array(operation, { minLength: 600, maxLength: 3000 }), (operations) => {
        const slots = new HashTable<{ version: number }>();
        const model = new Map<number, { version: number }>();
        operations.forEach((each, version) => {
          if (each.delete) expect(slots.delete(each.hash)).toBe(model.delete(each.hash));
          else {
            const value = { version };
            slots.set(each.hash, value);
            model.set(each.hash, value);
          }
        });
        expect(slots.size).toBe(model.size);
        for (const [key, value] of model) expect(slots.get(key)).toBe(value);
        for (const each of operations) if (!model.has(each.hash)) expect(slots.get(each.hash)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });
});
