/**
 * The routing client's copy of the cluster (src/client/cluster_view.ts): it only moves forward (an
 * older map is ignored, descriptors patched in stay when newer than a fetched map's), a patch
 * changes one entry and leaves the other routes as they were, malformed descriptors and node
 * addresses are skipped, and a route moves to the hinted leader or to the next replica, voters first.
 */
import { describe, expect, test } from "bun:test";
import { ClusterView } from "../../src/client/cluster_view";
import type { ShardMapValue } from "../../src/net/messages";
import { equalShards, keysInShard } from "./fake_cluster";
import { ShardMap } from "../../src/cluster/placement/shard_map";

const nodes = [1, 2, 3].map((id) => ({ id, name: `n${id}`, clientAddress: `127.0.0.1:${7400 + id}` }));
const mapValue = (version: number): ShardMapValue => ({ version, shards: equalShards(4, 3), nodes });
const key = (shard: number) => new TextEncoder().encode(keysInShard(new ShardMap(1, equalShards(4, 3)), shard, 1)[0]!);

describe("cluster view", () => {
  test("routes a key to its shard's leader address; a patch changes that entry only", () => {
    const view = new ClusterView(mapValue(5));
    const route = view.routeOf(key(2));
    expect([route.descriptor.id, route.leader]).toEqual([2, "127.0.0.1:7402"]);
    const untouched = view.routeOf(key(3));
    const moved = { ...equalShards(4, 3)[1]!, epoch: 2, replicas: [{ node: 3, role: "voter" as const }], leader: 3 };
    expect(view.patch([moved], [])).toBe(true);
    expect(view.generation).toBe(1);
    expect([view.routeOf(key(2)).leader, view.routeOf(key(2)).descriptor.epoch]).toEqual(["127.0.0.1:7403", 2]);
    expect(view.routeOf(key(3))).toBe(untouched);
    expect(view.patch([moved], [])).toBe(false);
  });

  test("only moves forward: an older map is ignored; a fetched map keeps the newer entries patched in", () => {
    const view = new ClusterView(mapValue(5));
    expect(view.adopt(mapValue(4))).toBe(false);
    const moved = { ...equalShards(4, 3)[0]!, epoch: 7, leader: 2 };
    view.patch([moved], []);
    expect(view.adopt(mapValue(6))).toBe(false);
    expect(view.version).toBe(6);
    expect(view.routeOf(key(1)).descriptor).toMatchObject({ id: 1, epoch: 7 });
  });

  test("malformed descriptors and node addresses are skipped", () => {
    const portless = { id: 9, name: "n9", clientAddress: "no-port" };
    const view = new ClusterView({ ...mapValue(5), nodes: [...nodes, portless] });
    expect(view.nodeAddresses()).toEqual(nodes.map((node) => node.clientAddress));
    const leaderless = { ...equalShards(4, 3)[0]!, epoch: 3, leader: 9 };
    expect(view.patch([leaderless], [{ id: 0, name: "zero", clientAddress: "127.0.0.1:1" }])).toBe(false);
    expect(view.generation).toBe(0);
  });

  test("a route follows a hint, and otherwise takes the next replica, voters first", () => {
    const shards = equalShards(1, 3).map((shard) => ({
      ...shard,
      replicas: [
        { node: 3, role: "learner" as const }, { node: 1, role: "voter" as const }, { node: 2, role: "voter" as const },
      ],
    }));
    const view = new ClusterView({ version: 1, shards, nodes });
    const route = view.routeOf(key(1));
    expect(route.leader).toBe("127.0.0.1:7401");
    route.tryNextReplica();
    expect(route.leader).toBe("127.0.0.1:7402");
    route.tryNextReplica();
    expect(route.leader).toBe("127.0.0.1:7403");
    route.tryNextReplica();
    expect(route.leader).toBe("127.0.0.1:7401");
    route.follow("10.0.0.9:7400");
    expect(route.leader).toBe("10.0.0.9:7400");
  });
});
