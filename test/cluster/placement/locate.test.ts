/** key → partition key → hash → shard (src/cluster/placement/locate.ts); the JSON of `cluster locate`. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { locate, shardOfKey } from "../../../src/cluster/placement/locate.ts";
import { formatHash } from "../../../src/cluster/placement/partition_hash.ts";
import { locationToJson, type LocationJson, type ReplicaJson } from "../../../src/cluster/placement/shard_map_json.ts";
import { bigOf, bootstrapMap, linearLookup, randomMap } from "./shard_maps.ts";

const encoder = new TextEncoder();
const nameOf = (node: number) => `n${node}`;

describe("locate", () => {
  test("a key's partition key, its hash and the shard that holds it", () => {
    const key = encoder.encode("orders/u123/2026-12-07/o9");
    const location = locate(key, bootstrapMap(16));
    expect(new TextDecoder().decode(location.partitionKey)).toBe("orders/u123");
    expect(location.partitionKey.buffer).toBe(key.buffer);
    expect(formatHash(location.hash)).toBe("09af411bd685f46d");
    // 0x09af... lies in the first sixteenth of the space.
    expect(location.shard.id).toBe(1);
  });

  test("the JSON of `filestore cluster locate KEY --json`", () => {
    const location = locate(encoder.encode("orders/u123/o9"), bootstrapMap(16));
    const replicas: ReplicaJson[] = ["n1", "n2", "n3"].map((node) => ({ node, role: "voter" }));
    const expected: LocationJson = {
      partition: "orders/u123", hash: "09af411bd685f46d", shard: 1, replicas, leader: "n1",
    };
    expect(locationToJson(location, nameOf)).toEqual(expected);
    const leaderless = { ...location, shard: { ...location.shard, leader: undefined } };
    expect(locationToJson(leaderless, nameOf).leader).toBeNull();
  });

  test("keys of one partition land in one shard; shardOfKey agrees with locate and with a linear scan", () => {
    const segment = fc.string({ unit: fc.constantFrom("a", "b", "c", "/", "é"), maxLength: 10 });
    fc.assert(fc.property(randomMap, segment, segment, segment, (map, owner, id, other) => {
      for (const text of [`orders/${owner}/${id}`, `orders/${owner}/${other}`, `${owner}${id}`]) {
        const key = encoder.encode(text);
        const location = locate(key, map);
        expect(shardOfKey(key, map)).toBe(location.shard);
        expect(linearLookup(map, location.hash)).toEqual([location.shard]);
      }
      const [a, b] = [`orders/${owner.replaceAll("/", "")}/${id}`, `orders/${owner.replaceAll("/", "")}/${other}`];
      expect(shardOfKey(encoder.encode(a), map)).toBe(shardOfKey(encoder.encode(b), map));
    }), { numRuns: 300 });
  });

  test("keys spread over the shards of an equal map", () => {
    const map = bootstrapMap(16);
    const counts = new Map<number, number>();
    for (let index = 0; index < 16_000; index++) {
      const id = shardOfKey(encoder.encode(`orders/u${index}/o1`), map).id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(16);
    // 1000 expected per shard; a hash that clustered would leave some far below.
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    expect(bigOf(map.shards[1]!.range.start)).toBe(1n << 60n);
  });
});
