/**
 * ShardMap.patch (src/cluster/placement/shard_map.ts), as a client applies the descriptor of a
 * WRONG_SHARD reply: exact coverage kept, the epoch at any hash never lowered, stale descriptors
 * ignored, and a client patched with every current descriptor sees the coordinator's map.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { endOfSpace, type HashBound } from "../../../src/cluster/placement/hash_range.ts";
import type { ShardMap } from "../../../src/cluster/placement/shard_map.ts";
import { ShardMapError } from "../../../src/cluster/placement/shard_map_error.ts";
import {
  bigOf, bootstrapMap, boundOf, CoordinatorModel, coordinatorStep, descriptor, spaceSize,
} from "./shard_maps.ts";

/** Hashes where epochs can change: every bound of either map and the hash just below it. */
function probes(...maps: ShardMap[]): HashBound[] {
  const values = new Set<bigint>();
  for (const map of maps) {
    for (const shard of map.shards) {
      for (const bound of [bigOf(shard.range.start), bigOf(shard.range.end)]) {
        if (bound < spaceSize) values.add(bound);
        if (bound > 0n) values.add(bound - 1n);
      }
    }
  }
  return [...values].map(boundOf);
}

function expectExactCoverage(map: ShardMap): void {
  expect(map.shards[0]!.range.start).toEqual(boundOf(0n));
  expect(map.shards.at(-1)!.range.end).toEqual(endOfSpace);
  for (let index = 1; index < map.shards.length; index++) {
    expect(map.shards[index]!.range.start).toEqual(map.shards[index - 1]!.range.end);
  }
}

describe("shard map patch: cases", () => {
  test("a replica change replaces the one entry and keeps the version", () => {
    const map = bootstrapMap(4);
    const moved = descriptor(2, map.shards[1]!.range, 2, [1, 2, 4]);
    const patched = map.patch(moved);
    expect(patched.shards).toEqual([map.shards[0], moved, map.shards[2], map.shards[3]]);
    expect(patched.version).toBe(map.version);
  });

  test("the new half of a split leaves the old shard clipped to the rest of its range", () => {
    const map = bootstrapMap(2);
    const [start, end] = [bigOf(map.shards[0]!.range.start), bigOf(map.shards[0]!.range.end)];
    const middle = (start + end) / 2n;
    const right = descriptor(3, { start: boundOf(middle), end: boundOf(end) }, 2);
    const patched = map.patch(right);
    const leftPiece = { ...map.shards[0]!, range: { start: boundOf(start), end: boundOf(middle) } };
    expect(patched.shards).toEqual([leftPiece, right, map.shards[1]]);
    const left = descriptor(1, { start: boundOf(start), end: boundOf(middle) }, 2);
    expect(patched.patch(left).shards).toEqual([left, right, map.shards[1]]);
  });

  test("a merged shard replaces both entries it covers", () => {
    const map = bootstrapMap(3);
    const merged = descriptor(2, { start: map.shards[1]!.range.start, end: endOfSpace }, 2);
    expect(map.patch(merged).shards).toEqual([map.shards[0], merged]);
  });

  test("a descriptor inside one entry leaves two clipped pieces around it", () => {
    const map = bootstrapMap(1);
    const inside = descriptor(5, { start: boundOf(100n), end: boundOf(200n) }, 2);
    const patched = map.patch(inside);
    expect(patched.shards.map((shard) => [shard.id, shard.epoch, bigOf(shard.range.start)])).toEqual([
      [1, 1, 0n], [5, 2, 100n], [1, 1, 200n],
    ]);
  });

  test("a descriptor no newer than what the map knows leaves the map as it is", () => {
    const map = bootstrapMap(4).patch(descriptor(2, bootstrapMap(4).shards[1]!.range, 3));
    expect(map.patch(descriptor(2, map.shards[1]!.range, 3, [4, 5, 6]))).toBe(map);
    expect(map.patch(descriptor(2, map.shards[1]!.range, 2))).toBe(map);
    // Overlapping a newer entry, whatever its own id.
    expect(map.patch(descriptor(9, { start: map.shards[0]!.range.start, end: map.shards[1]!.range.end }, 2))).toBe(map);
    // Elsewhere, but its shard's entry there is newer.
    expect(map.patch(descriptor(2, map.shards[3]!.range, 3))).toBe(map);
  });

  test("a malformed descriptor is a ShardMapError and changes nothing", () => {
    const map = bootstrapMap(2);
    expect(() => map.patch({ ...map.shards[0]!, epoch: 2, replicas: [] })).toThrow(ShardMapError);
    expect(() => map.patch({ ...map.shards[0]!, epoch: 2, range: { start: endOfSpace, end: endOfSpace } }))
      .toThrow(ShardMapError);
    expect(map.shards).toEqual(bootstrapMap(2).shards);
  });
});

describe("shard map patch: properties", () => {
  const scenario = fc.record({
    initialShards: fc.integer({ min: 1, max: 8 }),
    steps: fc.array(coordinatorStep, { maxLength: 30 }),
    deliveries: fc.array(fc.nat(), { maxLength: 40 }),
    finalOrder: fc.array(fc.nat()),
  });

  test("patching with descriptors of any age keeps exact coverage and never lowers an epoch; "
    + "patching every current descriptor converges on the coordinator's map", () => {
    fc.assert(fc.property(scenario, ({ initialShards, steps, deliveries, finalOrder }) => {
      const initial = bootstrapMap(initialShards);
      const coordinator = new CoordinatorModel(initial);
      for (const step of steps) coordinator.apply(step);
      let client = initial;
      const current = [...coordinator.shards];
      const order = current.map((_, index) => index).sort((a, b) => (finalOrder[a] ?? 0) - (finalOrder[b] ?? 0));
      const sent = [...deliveries.map((pick) => coordinator.history[pick % coordinator.history.length]!),
        ...order.map((index) => current[index]!)];
      for (const descriptorSent of sent) {
        const patched = client.patch(descriptorSent);
        expectExactCoverage(patched);
        for (const hash of probes(client, patched)) {
          expect(patched.lookup(hash).epoch).toBeGreaterThanOrEqual(client.lookup(hash).epoch);
        }
        if (patched !== client) expect(patched.lookup(descriptorSent.range.start)).toBe(descriptorSent);
        client = patched;
      }
      expect(client.shards).toEqual(coordinator.map().shards);
    }), { numRuns: 300 });
  });
});
