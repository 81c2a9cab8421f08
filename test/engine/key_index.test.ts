/**
 * The key index on its own, with hashes forced into a tiny range so that keys collide all the
 * time (with real 32-bit hashes a collision needs about 65,000 keys to be likely).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { KeyIndex, newIndexEntry, type IndexEntry } from "../../src/engine/key_index.ts";
import { keyToString } from "../../src/engine/key_string.ts";

/** Four possible hashes: most keys share theirs with another. */
const tinyHash = (key: Uint8Array) => key.reduce((sum, byte) => sum + byte, 0) % 4;

function entryFor(key: Uint8Array, version: number): IndexEntry {
  return newIndexEntry({ keyString: keyToString(key), keyHash: tinyHash(key), version, logIndex: version, valueOffset: 0, valueLength: 1 });
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

describe("key index lookups", () => {
  test("a key looked up in place inside a larger buffer finds what a lookup of the key alone finds", () => {
    const input = fc.record({
      stored: fc.array(fc.uint8Array({ minLength: 1, maxLength: 24, max: 3 }), { maxLength: 30 }),
      probe: fc.uint8Array({ minLength: 1, maxLength: 24, max: 3 }),
      before: fc.uint8Array({ maxLength: 5 }),
      after: fc.uint8Array({ maxLength: 5 }),
    });
    fc.assert(fc.property(input, ({ stored, probe, before, after }) => {
      const index = new KeyIndex();
      stored.forEach((key, version) => index.set(entryFor(key, version + 1)));
      for (const key of [probe, ...stored]) {
        const buffer = new Uint8Array([...before, ...key, ...after]);
        const found = index.getAt(buffer, before.length, before.length + key.length, tinyHash(key));
        expect(found).toBe(index.get(key, tinyHash(key)));
      }
    }), { numRuns: 300 });
  });

  test("keys of one length and hash that differ in any single word of the head, or in the tail, are told apart", () => {
    const base = new Uint8Array(20).fill(1);
    const index = new KeyIndex();
    index.set(entryFor(base, 1));
    for (let position = 0; position < base.length; position++) {
      // Two bytes changed so the byte sum, and so tinyHash, stays the same.
      const other = base.slice();
      other[position] = 2;
      other[(position + 1) % base.length] = 0;
      expect(tinyHash(other)).toBe(tinyHash(base));
      expect(index.get(other, tinyHash(other))).toBeUndefined();
    }
    expect(index.get(base, tinyHash(base))?.version).toBe(1);
  });

  test("tells apart long keys that share their head, their length or their hash", () => {
    // A prefix of one of two long stems, then a short tail of bytes 0-2: many keys share their
    // 16-byte head, their length and (tinyHash) their hash, so every part of the comparison
    // decides some lookups.
    const stems = [new Uint8Array(24).fill(1), Uint8Array.from({ length: 24 }, (_, index) => index % 3)];
    const key = fc
      .tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 24 }), fc.uint8Array({ maxLength: 6, max: 2 }))
      .map(([stem, length, tail]) => Uint8Array.from([...stems[stem]!.subarray(0, length), ...tail]))
      .filter((bytes) => bytes.length > 0);
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 30 }), (stored, probes) => {
        const index = new KeyIndex();
        const model = new Map<string, number>();
        stored.forEach((each, version) => {
          index.set(entryFor(each, version + 1));
          model.set(keyToString(each), version + 1);
        });
        for (const probe of [...stored, ...probes]) expect(index.get(probe, tinyHash(probe))?.version).toBe(model.get(keyToString(probe)));
      }),
      { numRuns: 300 },
    );
  });
});
