/**
 * The key index on its own, with hashes forced into a tiny range so that keys collide all the
 * time (with real 32-bit hashes a collision needs about 65,000 keys to be likely).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { KeyIndex, type IndexEntry } from "../../src/engine/key_index.ts";
import { keyToString } from "../../src/engine/key_string.ts";

/** Four possible hashes: most keys share theirs with another. */
const tinyHash = (key: Uint8Array) => key.reduce((sum, byte) => sum + byte, 0) % 4;

function entryFor(key: Uint8Array, version: number): IndexEntry {
  return { keyString: keyToString(key), keyHash: tinyHash(key), version, logIndex: version, valueOffset: 0, valueLength: 1, value: null };
}

describe("key index", () => {
  test("colliding keys are told apart, and a freed hash passes to a waiting key", () => {
    const index = new KeyIndex();
    const first = new Uint8Array([1, 3]);
    const second = new Uint8Array([2, 2]);
    expect(tinyHash(first)).toBe(tinyHash(second));
    index.set(entryFor(first, 1));
    index.set(entryFor(second, 2));
    expect(index.get(first, tinyHash(first))?.version).toBe(1);
    expect(index.get(second, tinyHash(second))?.version).toBe(2);
    expect(index.delete(keyToString(first))).toBe(true);
    expect(index.get(first, tinyHash(first))).toBeUndefined();
    expect(index.get(second, tinyHash(second))?.version).toBe(2);
    index.set(entryFor(second, 3));
    expect(index.get(second, tinyHash(second))?.version).toBe(3);
    expect(index.size).toBe(1);
  });

  test("behaves as a Map under random sets and deletes", () => {
    const operation = fc.record({ delete: fc.boolean(), key: fc.uint8Array({ minLength: 1, maxLength: 2, max: 5 }) });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const index = new KeyIndex();
        const model = new Map<string, number>();
        operations.forEach((each, version) => {
          const keyString = keyToString(each.key);
          if (each.delete) expect(index.delete(keyString)).toBe(model.delete(keyString));
          else {
            index.set(entryFor(each.key, version + 1));
            model.set(keyString, version + 1);
          }
          for (const [modelKey, modelVersion] of model) {
            const key = Uint8Array.from(modelKey, (character) => character.charCodeAt(0));
            expect(index.get(key, tinyHash(key))?.version).toBe(modelVersion);
          }
          expect(index.size).toBe(model.size);
        });
        for (const each of operations) if (!model.has(keyToString(each.key))) expect(index.get(each.key, tinyHash(each.key))).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
