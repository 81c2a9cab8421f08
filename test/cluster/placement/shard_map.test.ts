/**
 * The shard map (src/cluster/placement/shard_map.ts): lookup by binary search, exact coverage
 * asserted for our own maps and checked with a typed error for maps from outside, and the
 * descriptor checks. Patching has its own file (shard_map_patch.test.ts).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { endOfSpace, type HashRange } from "../../../src/cluster/placement/hash_range.ts";
import { replicasPerShardMax, shardsMax } from "../../../src/cluster/placement/placement_limits.ts";
import { ShardMap, type ShardDescriptor } from "../../../src/cluster/placement/shard_map.ts";
import { ShardMapError } from "../../../src/cluster/placement/shard_map_error.ts";
import { AssertionError } from "../../../src/util/assert.ts";
import {
  bootstrapMap, boundOf, descriptor, hashNear, linearLookup, mapCutAt, randomMap, spaceSize,
} from "./shard_maps.ts";

const range = (start: bigint, end: bigint): HashRange => ({ start: boundOf(start), end: boundOf(end) });
const half = 1n << 63n;

describe("shard map lookup", () => {
  test("every hash lands in exactly one shard, the one lookup returns (random maps, hashes near bounds)", () => {
    const mapAndHashes = randomMap.chain((map) =>
      fc.tuple(fc.constant(map), fc.array(hashNear(map), { maxLength: 50 })));
    fc.assert(fc.property(mapAndHashes, ([map, hashes]) => {
      for (const hash of hashes) {
        const holders = linearLookup(map, hash);
        expect(holders.length).toBe(1);
        expect(map.lookup(hash)).toBe(holders[0]!);
      }
    }), { numRuns: 300 });
  });

  test("the first and last hashes of the space and of each range", () => {
    const map = bootstrapMap(4);
    expect(map.lookup(boundOf(0n)).id).toBe(1);
    expect(map.lookup(boundOf((1n << 62n) - 1n)).id).toBe(1);
    expect(map.lookup(boundOf(1n << 62n)).id).toBe(2);
    expect(map.lookup(boundOf(spaceSize - 1n)).id).toBe(4);
    expect(bootstrapMap(1).lookup(boundOf(spaceSize - 1n)).id).toBe(1);
  });

  test("ranges that differ only in the low half are told apart", () => {
    const map = mapCutAt([5n, 6n, (7n << 32n) | 0xfffffffen, (7n << 32n) | 0xffffffffn]);
    expect([4n, 5n, 6n, (7n << 32n) | 0xfffffffen, (7n << 32n) | 0xffffffffn, 8n << 32n]
      .map((value) => map.lookup(boundOf(value)).id)).toEqual([1, 2, 3, 4, 5, 5]);
  });

  test("a hash outside the space is a broken invariant", () => {
    expect(() => bootstrapMap(2).lookup(endOfSpace)).toThrow(AssertionError);
  });
});

describe("shard map coverage", () => {
  const cases: Array<[string, ShardDescriptor[], string]> = [
    ["a gap", [descriptor(1, range(0n, 10n)), descriptor(2, { start: boundOf(11n), end: endOfSpace })],
      "shard 2 starts after a gap"],
    ["an overlap", [descriptor(1, range(0n, 10n)), descriptor(2, { start: boundOf(9n), end: endOfSpace })],
      "shard 2 starts inside the range before it"],
    ["a first range not at 0", [descriptor(1, { start: boundOf(1n), end: endOfSpace })], "shard 1 starts after a gap"],
    ["a last range short of the end", [descriptor(1, range(0n, half))],
      "the last shard ends before the end of the hash space"],
    ["no shard", [], "0 shards, outside 1..4096"],
  ];
  for (const [what, shards, message] of cases) {
    test(`${what}: asserted by the constructor, ShardMapError from fromOutside`, () => {
      expect(() => new ShardMap(1, shards)).toThrow(AssertionError);
      expect(() => ShardMap.fromOutside(1, shards)).toThrow(new ShardMapError(`shard map version 1: ${message}`));
    });
  }

  test("fromOutside sorts a map given in any order", () => {
    const map = ShardMap.fromOutside(7, [...bootstrapMap(5).shards].reverse());
    expect(map.version).toBe(7);
    expect(map.shards.map((shard) => shard.id)).toEqual([1, 2, 3, 4, 5]);
  });

  test("fromOutside refuses a shard id listed twice, a bad version and too many shards", () => {
    const twice = [descriptor(1, range(0n, half)), descriptor(1, { start: boundOf(half), end: endOfSpace })];
    expect(() => ShardMap.fromOutside(1, twice)).toThrow("shard id 1 appears twice");
    expect(() => ShardMap.fromOutside(0, bootstrapMap(2).shards)).toThrow("version 0 is not a positive integer");
    const tooMany = Array.from({ length: shardsMax + 1 }, (_, index) => bootstrapMap(1).shards[0]!);
    expect(() => ShardMap.fromOutside(1, tooMany)).toThrow(`${shardsMax + 1} shards, outside 1..${shardsMax}`);
  });
});

describe("shard descriptor checks", () => {
  const whole: HashRange = { start: boundOf(0n), end: endOfSpace };
  const good = descriptor(3, whole);
  const bad: Array<[string, ShardDescriptor, string]> = [
    ["id 0", { ...good, id: 0 }, "the id is not a positive integer"],
    ["epoch 0", { ...good, epoch: 0 }, "epoch 0 is not a positive integer"],
    ["a fractional epoch", { ...good, epoch: 1.5 }, "epoch 1.5 is not a positive integer"],
    ["an empty range", { ...good, range: { start: endOfSpace, end: endOfSpace } }, "the range is not"],
    ["an end past 2^64", { ...good, range: { start: boundOf(0n), end: { high: 2 ** 32, low: 1 } } },
      "the range is not"],
    ["no replicas", { ...good, replicas: [] }, `0 replicas, outside 1..${replicasPerShardMax}`],
    ["too many replicas", descriptor(3, whole, 1, Array.from({ length: replicasPerShardMax + 1 }, (_, at) => at + 1)),
      `${replicasPerShardMax + 1} replicas`],
    ["node 0", descriptor(3, whole, 1, [0]), "replica node 0 is not a node id"],
    ["a node above u32", descriptor(3, whole, 1, [2 ** 32]), "is not a node id"],
    ["a node twice", descriptor(3, whole, 1, [4, 4]), "node 4 is listed twice"],
    ["no voter", { ...good, replicas: [{ node: 1, role: "learner" }], leader: undefined }, "no replica is a voter"],
    ["a learner leading", { ...good, replicas: [{ node: 1, role: "voter" }, { node: 2, role: "learner" }], leader: 2 },
      "leader 2 is not a voter of the shard"],
    ["a leader not among the replicas", { ...good, leader: 9 }, "leader 9 is not a voter of the shard"],
  ];
  for (const [what, shard, message] of bad) {
    test(`refuses ${what}`, () => {
      expect(() => ShardMap.fromOutside(1, [shard])).toThrow(message);
      expect(() => new ShardMap(1, [shard])).toThrow(AssertionError);
    });
  }

  test("accepts learners beside voters, and no known leader", () => {
    const replicas = [{ node: 1, role: "voter" as const }, { node: 2, role: "learner" as const }];
    expect(ShardMap.fromOutside(1, [{ ...good, replicas, leader: undefined }]).shards[0]!.replicas).toEqual(replicas);
  });
});
