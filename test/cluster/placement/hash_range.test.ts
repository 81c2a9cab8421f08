/** Ranges of the hash space (src/cluster/placement/hash_range.ts) and the bounds on shard counts. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  endOfSpace, endOfSpaceHex, equalRanges, formatRange, isBound, parseBound, rangeContains, startOfSpace,
} from "../../../src/cluster/placement/hash_range.ts";
import { shardsDefault, shardsMax, shardsMin } from "../../../src/cluster/placement/placement_limits.ts";
import { AssertionError } from "../../../src/util/assert.ts";
import { bigOf, boundOf, spaceSize } from "./shard_maps.ts";

describe("equalRanges", () => {
  test("one shard is the whole space; two halve it; 16 start at multiples of 2^60", () => {
    expect(equalRanges(1).map(formatRange)).toEqual([["0000000000000000", "10000000000000000"]]);
    expect(equalRanges(2).map(formatRange)).toEqual([
      ["0000000000000000", "8000000000000000"],
      ["8000000000000000", "10000000000000000"],
    ]);
    const sixteen = equalRanges(shardsDefault).map(formatRange);
    expect(sixteen[1]).toEqual(["1000000000000000", "2000000000000000"]);
    expect(sixteen[15]).toEqual(["f000000000000000", endOfSpaceHex]);
  });

  test("three shards: sizes differ by one hash at most", () => {
    const sizes = equalRanges(3).map((range) => bigOf(range.end) - bigOf(range.start));
    expect(sizes).toEqual([6148914691236517205n, 6148914691236517205n, 6148914691236517206n]);
  });

  test("cover the space contiguously with sizes that differ by at most one hash, for any allowed count", () => {
    fc.assert(fc.property(fc.integer({ min: shardsMin, max: shardsMax }), (count) => {
      const ranges = equalRanges(count);
      expect(ranges.length).toBe(count);
      expect(ranges[0]!.start).toEqual(startOfSpace);
      expect(ranges[count - 1]!.end).toEqual(endOfSpace);
      for (let index = 1; index < count; index++) expect(ranges[index]!.start).toEqual(ranges[index - 1]!.end);
      const sizes = ranges.map((range) => bigOf(range.end) - bigOf(range.start));
      const [smallest, largest] = [sizes.reduce((a, b) => (a < b ? a : b)), sizes.reduce((a, b) => (a > b ? a : b))];
      expect(largest - smallest <= 1n).toBe(true);
      expect(sizes.reduce((a, b) => a + b)).toBe(spaceSize);
    }), { numRuns: 60 });
  });

  test("refuses counts outside the bounds (the caller validates --shards first)", () => {
    for (const count of [0, shardsMax + 1, 1.5, Number.NaN]) expect(() => equalRanges(count)).toThrow(AssertionError);
    expect(equalRanges(shardsMax).length).toBe(shardsMax);
  });

  test("the bounds on shard counts hold the default", () => {
    expect([shardsMin, shardsDefault, shardsMax]).toEqual([1, 16, 4096]);
  });
});

describe("bounds and their printed form", () => {
  test("the end of space is 2^64, printed in 17 hex digits", () => {
    expect(bigOf(endOfSpace)).toBe(spaceSize);
    expect(endOfSpaceHex).toBe("10000000000000000");
  });

  test("parseBound reads 16 hex digits in either case, and the end of space only where an end may be", () => {
    expect(parseBound("8000000000000000", false)).toEqual({ high: 0x80000000, low: 0 });
    expect(parseBound("00000001ABCDEF00", false)).toEqual({ high: 1, low: 0xabcdef00 });
    expect(parseBound(endOfSpaceHex, true)).toEqual(endOfSpace);
    expect(parseBound(endOfSpaceHex, false)).toBeNull();
    const bad = ["", "800000000000000", "0x80000000000000", "80000000 0000000", "-000000000000001", "g000000000000000"];
    for (const text of bad) expect(parseBound(text, true)).toBeNull();
  });

  test("formatRange and parseBound are inverse on random ranges", () => {
    const hash = fc.bigInt({ min: 0n, max: spaceSize - 1n });
    fc.assert(fc.property(hash, fc.oneof(hash, fc.constant(spaceSize)), (start, end) => {
      const [startHex, endHex] = formatRange({ start: boundOf(start), end: boundOf(end) });
      expect(startHex).toMatch(/^[0-9a-f]{16}$/);
      expect(bigOf(parseBound(startHex, false)!)).toBe(start);
      expect(bigOf(parseBound(endHex, true)!)).toBe(end);
    }));
  });

  test("isBound accepts u32 halves and exactly 2^64", () => {
    expect(isBound({ high: 0xffffffff, low: 0xffffffff })).toBe(true);
    expect(isBound(endOfSpace)).toBe(true);
    const bad = [{ high: 2 ** 32, low: 1 }, { high: -1, low: 0 }, { high: 0, low: 2 ** 32 }, { high: 0.5, low: 0 }];
    for (const bound of bad) expect(isBound(bound)).toBe(false);
  });

  test("a range holds its start and not its end", () => {
    const range = { start: boundOf(10n), end: boundOf(20n) };
    const held = [9n, 10n, 19n, 20n].map((value) => rangeContains(range, boundOf(value)));
    expect(held).toEqual([false, true, true, false]);
    const last = { start: boundOf(spaceSize - 1n), end: endOfSpace };
    expect(rangeContains(last, boundOf(spaceSize - 1n))).toBe(true);
  });
});
