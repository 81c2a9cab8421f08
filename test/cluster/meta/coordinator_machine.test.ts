/**
 * The coordinator's machine as the node runtime sees it: the read API (shard map, descriptors
 * with their reported leaders, nodes, the replicas a node holds, moves), best-effort leader
 * reports outside the log, change notifications after each apply and after a restore, and the
 * ReplicatedMachine contract (no-op and config entries only move the applied index; a machine
 * starts from its storage's snapshot).
 */
import { describe, expect, test } from "bun:test";
import type { CoordinatorChange } from "../../../src/cluster/meta/coordinator_command.ts";
import {
  CoordinatorMachine, type CoordinatorListener, type HeldReplica,
} from "../../../src/cluster/meta/coordinator_machine.ts";
import { noNode } from "../../../src/cluster/raft/types.ts";
import { accept, bootstrapped, refuse, spec, stateBytes } from "./coordinator_fixtures.ts";

describe("reads", () => {
  test("the replicas a node holds, with their ids and roles, by shard (slots round robin over 4 nodes)", async () => {
    const machine = await bootstrapped(4, 4);
    const held: HeldReplica[] = machine.replicasOn(2);
    expect(held).toEqual([
      { shard: 1, replica: 2, role: "voter" },
      { shard: 2, replica: 6, role: "voter" },
      { shard: 4, replica: 10, role: "voter" },
    ]);
    expect(machine.replicasOn(9)).toEqual([]);
    expect(machine.shard(1)!.replicas).toEqual([
      { replica: 1, node: 1, role: "voter" },
      { replica: 2, node: 2, role: "voter" },
      { replica: 3, node: 3, role: "voter" },
    ]);
    expect(machine.shard(9)).toBeUndefined();
    expect(machine.descriptor(9)).toBeUndefined();
  });

  test("the shard map is the same object until shards or leaders change", async () => {
    const machine = await bootstrapped(3, 2);
    const map = machine.shardMap();
    await accept(machine, { kind: "addNode", node: spec(4) });
    expect(machine.shardMap()).toBe(map);
    machine.reportLeader(1, 2, 5);
    const led = machine.shardMap();
    expect(led).not.toBe(map);
    machine.reportLeader(1, 2, 5);
    expect(machine.shardMap()).toBe(led);
  });
});

describe("leaders, reported outside the log", () => {
  test("a reported leader shows in map and descriptor; older terms are ignored; none known clears it", async () => {
    const machine = await bootstrapped(3, 2);
    const before = machine.encodedState();
    machine.reportLeader(1, 2, 5);
    expect(machine.descriptor(1)!.leader).toBe(2);
    expect(machine.shardMap()!.shards[0]!.leader).toBe(2);
    expect(machine.shardMap()!.shards[1]!.leader).toBeUndefined();
    machine.reportLeader(1, 3, 4);
    expect(machine.descriptor(1)!.leader).toBe(2);
    machine.reportLeader(1, noNode, 5);
    expect(machine.descriptor(1)!.leader).toBe(2);
    machine.reportLeader(1, noNode, 6);
    expect(machine.descriptor(1)!.leader).toBeUndefined();
    machine.reportLeader(1, 3, 6);
    expect(machine.descriptor(1)!.leader).toBe(3);
    // Not replicated: neither the state nor its snapshot holds leaders.
    expect(machine.encodedState()).toEqual(before);
    expect(machine.shard(1)!.leader).toBeUndefined();
  });

  test("a leader that is no longer a voter of the shard is not shown", async () => {
    const machine = await bootstrapped(3, 2);
    await accept(machine, { kind: "addNode", node: spec(4) });
    await accept(machine, { kind: "markNode", node: 4, state: "up" });
    machine.reportLeader(1, 1, 3);
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await accept(machine, { kind: "promote", shard: 1, node: 4 });
    expect(machine.descriptor(1)!.leader).toBe(1);
    await accept(machine, { kind: "removeReplica", shard: 1, node: 1 });
    expect(machine.descriptor(1)!.leader).toBeUndefined();
    expect(machine.shardMap()!.shards[0]!.leader).toBeUndefined();
  });
});

describe("change notifications", () => {
  test("after each command that changed something, in order; none for refusals, repeats, or once stopped", async () => {
    const machine = new CoordinatorMachine();
    const changes: CoordinatorChange[] = [];
    const listener: CoordinatorListener = (change) => changes.push(change);
    const stop = machine.subscribe(listener);
    const nodes = [spec(2), spec(1)];
    const factors = { replicationFactor: 1, metaVoters: 1 };
    await accept(machine, { kind: "bootstrap", clusterId: "c", shardCount: 2, ...factors, nodes });
    await accept(machine, { kind: "addNode", node: spec(3) });
    await accept(machine, { kind: "addNode", node: spec(3) });
    await accept(machine, { kind: "markNode", node: 3, state: "up" });
    await accept(machine, { kind: "addLearner", shard: 2, from: 2, to: 3 });
    await refuse(machine, { kind: "removeNode", node: 2 }, "NODE_HOLDS_REPLICAS");
    stop();
    await accept(machine, { kind: "promote", shard: 2, node: 3 });
    const seen = changes.map((each) => [each.index, each.mapVersion, each.shards, each.nodes, each.settingsChanged]);
    expect(seen).toEqual([
      [1, 1, [1, 2], [1, 2], true],
      [2, 1, [], [3], false],
      [4, 1, [], [3], false],
      [5, 2, [2], [], false],
    ]);
  });

  test("a restore tells every shard and node, marked restored", async () => {
    const source = await bootstrapped(3, 3);
    const machine = new CoordinatorMachine();
    const changes: CoordinatorChange[] = [];
    machine.subscribe((change) => changes.push(change));
    await machine.restore(source.encodedState(), source.appliedIndex);
    const everything = { index: 1, mapVersion: 1, shards: [1, 2, 3], nodes: [1, 2, 3], settingsChanged: true };
    expect(changes).toEqual([{ ...everything, restored: true }]);

  });
});

describe("as a replicated machine", () => {
  test("no-op and config entries move the applied index and answer no one", async () => {
    const machine = await bootstrapped(3, 1);
    const before = stateBytes(machine);
    expect(machine.apply({ index: 2, term: 2, kind: "normal", data: new Uint8Array(0) })).toBeUndefined();
    expect(machine.apply({ index: 3, term: 2, kind: "config", data: new Uint8Array([1, 2, 3]) })).toBeUndefined();
    expect(machine.appliedIndex).toBe(3);
    expect(stateBytes(machine)).toEqual(before);
  });

  test("snapshot() pictures the state at once, at the applied index; fromSnapshot starts from one", async () => {
    const machine = await bootstrapped(3, 2);
    const taken = await machine.snapshot();
    await accept(machine, { kind: "addNode", node: spec(4) });
    expect(taken.index).toBe(1);
    const confState = { voters: [1], learners: [] };
    const data = await taken.data;
    const started = CoordinatorMachine.fromSnapshot({ data, metadata: { index: 1, term: 1, confState } });
    expect(started.appliedIndex).toBe(1);
    expect(started.node(4)).toBeUndefined();
    expect(started.nodes()).toHaveLength(3);
    const empty = new Uint8Array(0);
    const fresh = CoordinatorMachine.fromSnapshot({ data: empty, metadata: { index: 0, term: 0, confState } });
    expect([fresh.appliedIndex, fresh.bootstrapped, fresh.shardMap(), fresh.mapVersion]).toEqual([0, false, null, 0]);
  });
});
