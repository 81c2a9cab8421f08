/** The JSON form of shard descriptors (src/cluster/placement/shard_map_json.ts): the shape scripts read; its checks. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { endOfSpaceHex } from "../../../src/cluster/placement/hash_range.ts";
import { replicasPerShardMax } from "../../../src/cluster/placement/placement_limits.ts";
import { ShardMapError } from "../../../src/cluster/placement/shard_map_error.ts";
import {
  shardDescriptorFromJson, shardDescriptorToJson, type ShardDescriptorJson,
} from "../../../src/cluster/placement/shard_map_json.ts";
import { bootstrapMap, randomMap } from "./shard_maps.ts";

const nameOf = (node: number) => `n${node}`;
const idOf = (name: string) => {
  if (!/^n[1-9][0-9]*$/.test(name)) throw new Error(`no node ${name}`);
  return Number(name.slice(1));
};

describe("shard descriptor JSON", () => {
  test("has the shape of `filestore cluster shards --json` (without the admin side's keys and bytes)", () => {
    const [first, last] = [bootstrapMap(4).shards[0]!, bootstrapMap(4).shards[3]!];
    const expected: ShardDescriptorJson = {
      id: 1,
      range: ["0000000000000000", "4000000000000000"],
      epoch: 1,
      leader: "n1",
      replicas: [{ node: "n1", role: "voter" }, { node: "n2", role: "voter" }, { node: "n3", role: "voter" }],
    };
    expect(shardDescriptorToJson(first, nameOf)).toEqual(expected);
    expect(shardDescriptorToJson(last, nameOf).range).toEqual(["c000000000000000", endOfSpaceHex]);
    expect(shardDescriptorToJson({ ...first, leader: undefined }, nameOf).leader).toBeNull();
  });

  test("reads back what it writes, through JSON text", () => {
    fc.assert(fc.property(randomMap, (map) => {
      for (const shard of map.shards) {
        const text = JSON.stringify(shardDescriptorToJson(shard, nameOf));
        expect(shardDescriptorFromJson(JSON.parse(text), idOf)).toEqual(shard);
      }
    }), { numRuns: 100 });
  });

  test("refuses malformed documents with a ShardMapError naming the problem", () => {
    const good = shardDescriptorToJson(bootstrapMap(2).shards[1]!, nameOf);
    const bad: Array<[unknown, string]> = [
      [null, "not an object"],
      [{ ...good, id: "1" }, "id and epoch must be numbers"],
      [{ ...good, epoch: undefined }, "id and epoch must be numbers"],
      [{ ...good, range: ["0000000000000000"] }, "range must be [startHex, endHex]"],
      [{ ...good, range: [endOfSpaceHex, endOfSpaceHex] }, "is not two hash bounds in hex"],
      [{ ...good, range: ["8000000000000000", "0x1"] }, "is not two hash bounds in hex"],
      [{ ...good, range: ["8000000000000000", "8000000000000000"] }, "the range is not [start, end)"],
      [{ ...good, replicas: "n1" }, "replicas must be an array"],
      [{ ...good, replicas: new Array(replicasPerShardMax + 1).fill(good.replicas[0]) }, "replicas must be"],
      [{ ...good, replicas: [{ node: 1, role: "voter" }] }, "a replica needs a node name"],
      [{ ...good, replicas: [{ node: "n1", role: "leader" }] }, "role leader is not voter or learner"],
      [{ ...good, leader: 1 }, "leader must be a name or null"],
      [{ ...good, leader: "n9" }, "leader 9 is not a voter of the shard"],
      [{ ...good, epoch: -1 }, "epoch -1 is not a positive integer"],
    ];
    for (const [document, message] of bad) {
      expect(() => shardDescriptorFromJson(document, idOf)).toThrow(ShardMapError);
      expect(() => shardDescriptorFromJson(document, idOf)).toThrow(message);
    }
  });

  test("a node name the caller cannot read fails with the caller's error", () => {
    const good = shardDescriptorToJson(bootstrapMap(1).shards[0]!, nameOf);
    expect(() => shardDescriptorFromJson({ ...good, leader: "db a" }, idOf)).toThrow("no node db a");
  });
});
