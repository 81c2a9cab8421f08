/**
 * The bootstrap and setSetting commands of the coordinator: a new cluster's settings, nodes and
 * equal shards placed round robin (epoch 1, map version 1, fresh replica ids), and every way a
 * bootstrap or a setting is refused without changing anything.
 */
import { describe, expect, test } from "bun:test";
import { defaultMetaVoters, defaultReplicationFactor } from "../../../src/cluster/meta/cluster_settings.ts";
import type { CoordinatorCommand, NodeSpec } from "../../../src/cluster/meta/coordinator_command.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { initialPlacement } from "../../../src/cluster/meta/initial_placement.ts";
import { equalRanges } from "../../../src/cluster/placement/hash_range.ts";
import { shardsMax } from "../../../src/cluster/placement/placement_limits.ts";
import { accept, bootstrapCommand, bootstrapped, refuse, spec } from "./coordinator_fixtures.ts";

type Bootstrap = Extract<CoordinatorCommand, { kind: "bootstrap" }>;

describe("bootstrap", () => {
  test("settings, nodes up, N equal shards at epoch 1 with RF voters each, map version 1", async () => {
    const machine = await bootstrapped(3, 4);
    expect(machine.bootstrapped).toBe(true);
    const settings = { clusterId: "test-cluster", shardsAtBootstrap: 4, replicationFactor: 3, metaVoters: 3 };
    expect(machine.settings()).toEqual(settings);
    expect(machine.nodes()).toEqual([1, 2, 3].map((id) => ({ ...spec(id), state: "up" })));
    expect(machine.mapVersion).toBe(1);
    const map = machine.shardMap()!;
    expect(map.version).toBe(1);
    expect(map.shards.map((shard) => shard.range)).toEqual(equalRanges(4));
    const shape = map.shards.map((shard) => [shard.id, shard.epoch, shard.replicas.length]);
    expect(shape).toEqual([[1, 1, 3], [2, 1, 3], [3, 1, 3], [4, 1, 3]]);
    const replicaIds = [1, 2, 3, 4].flatMap((id) => machine.shard(id)!.replicas.map((replica) => replica.replica));
    expect(replicaIds).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
    expect(map.shards.every((shard) => shard.replicas.every((replica) => replica.role === "voter"))).toBe(true);
  });

  test("replicas spread round robin: every node holds floor or ceil of shards x RF / nodes", async () => {
    const machine = new CoordinatorMachine();
    await accept(machine, bootstrapCommand(5, 16, 3));
    const held = [1, 2, 3, 4, 5].map((node) => machine.replicasOn(node).length);
    expect(held).toEqual([10, 10, 10, 9, 9]);
    for (const shard of machine.shardMap()!.shards) expect(new Set(shard.replicas.map((r) => r.node)).size).toBe(3);
  });

  test("placement: distinct nodes per shard and balanced, whatever the order the nodes are listed in", () => {
    for (const [shards, nodes, factor] of [[16, 3, 3], [7, 4, 2], [1, 1, 1], [5, 7, 3], [64, 5, 5]] as const) {
      const ids = Array.from({ length: nodes }, (_, index) => (index * 37) % 101 + 1);
      const placement = initialPlacement(shards, ids, factor);
      expect(placement).toEqual(initialPlacement(shards, [...ids].reverse(), factor));
      for (const replicas of placement) expect(new Set(replicas).size).toBe(factor);
      const counts = ids.map((id) => placement.filter((replicas) => replicas.includes(id)).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  test("the proposer's defaults: 3 voters per shard, an odd number of coordinator voters, fewer on fewer nodes", () => {
    expect([1, 2, 3, 5].map(defaultReplicationFactor)).toEqual([1, 2, 3, 3]);
    expect([1, 2, 3, 4, 5, 6, 9].map(defaultMetaVoters)).toEqual([1, 1, 3, 3, 5, 5, 5]);
  });

  test("a single node with a single shard", async () => {
    const machine = new CoordinatorMachine();
    await accept(machine, bootstrapCommand(1, 1));
    expect(machine.shardMap()!.shards).toHaveLength(1);
    expect(machine.replicasOn(1)).toEqual([{ shard: 1, replica: 1, role: "voter" }]);
  });

  test("refused: every other command before it, a second one after it", async () => {
    const machine = new CoordinatorMachine();
    await refuse(machine, { kind: "addNode", node: spec(4) }, "NOT_BOOTSTRAPPED");
    await refuse(machine, { kind: "setSetting", name: "replicationFactor", value: 1 }, "NOT_BOOTSTRAPPED");
    expect(machine.shardMap()).toBeNull();
    await accept(machine, bootstrapCommand(3, 2));
    await refuse(machine, bootstrapCommand(3, 2), "ALREADY_BOOTSTRAPPED");
  });

  test("refused as invalid: counts out of bounds, duplicate or bad nodes, factors above the node count", async () => {
    for (const command of invalidBootstraps()) {
      const machine = new CoordinatorMachine();
      await refuse(machine, command, "INVALID_ARGUMENT");
      expect(machine.bootstrapped).toBe(false);
    }
    // Not an integer: not a command of a known shape, refused alike by every replica.
    await refuse(new CoordinatorMachine(), { ...(bootstrapCommand(3, 4) as Bootstrap), shardCount: 2.5 }, "MALFORMED");
  });
});

/** Bootstraps on three nodes that break one rule each. */
function invalidBootstraps(): Bootstrap[] {
  const base = bootstrapCommand(3, 4) as Bootstrap;
  const withThird = (change: Partial<NodeSpec>) => ({ ...base, nodes: [spec(1), spec(2), { ...spec(3), ...change }] });
  return [
    { ...base, shardCount: 0 },
    { ...base, shardCount: shardsMax + 1 },
    { ...base, replicationFactor: 0 },
    { ...base, replicationFactor: 4 },
    { ...base, metaVoters: 4 },
    { ...base, metaVoters: 6, nodes: [1, 2, 3, 4, 5, 6].map(spec) },
    { ...base, clusterId: "" },
    { ...base, clusterId: "x".repeat(65) },
    { ...base, nodes: [] },
    withThird({ id: 1 }),
    withThird({ name: "n1" }),
    withThird({ addresses: spec(1).addresses }),
    withThird({ id: 0 }),
    withThird({ name: "" }),
    withThird({ name: "n".repeat(64) }),
    withThird({ addresses: { ...spec(3).addresses, peerAddress: "" } }),
  ];
}

describe("setSetting", () => {
  test("a settable setting changes; the same value again changes nothing", async () => {
    const machine = await bootstrapped(3, 2);
    const changes: boolean[] = [];
    machine.subscribe((change) => changes.push(change.settingsChanged));
    const setFactor = { kind: "setSetting", name: "replicationFactor", value: 2 } as const;
    expect(await accept(machine, setFactor)).toEqual({ ok: true, changed: true });
    expect(machine.settings()!.replicationFactor).toBe(2);
    expect(await accept(machine, setFactor)).toEqual({ ok: true, changed: false });
    await accept(machine, { kind: "setSetting", name: "metaVoters", value: 1 });
    const settings = { clusterId: "test-cluster", shardsAtBootstrap: 2, replicationFactor: 2, metaVoters: 1 };
    expect(machine.settings()).toEqual(settings);
    expect(changes).toEqual([true, true]);
    expect(machine.mapVersion).toBe(1);
  });

  test("refused: fixed and unknown settings, values out of bounds or above the node count", async () => {
    const machine = await bootstrapped(3, 2);
    await refuse(machine, { kind: "setSetting", name: "clusterId", value: 1 }, "FIXED_SETTING");
    await refuse(machine, { kind: "setSetting", name: "shardsAtBootstrap", value: 8 }, "FIXED_SETTING");
    await refuse(machine, { kind: "setSetting", name: "replicas", value: 3 }, "UNKNOWN_SETTING");
    await refuse(machine, { kind: "setSetting", name: "replicationFactor", value: 0 }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "setSetting", name: "replicationFactor", value: 8 }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "setSetting", name: "replicationFactor", value: 4 }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "setSetting", name: "metaVoters", value: 6 }, "INVALID_ARGUMENT");
  });
});
