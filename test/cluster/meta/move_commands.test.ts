/**
 * The steps of a replica move in the coordinator's state: addLearner → promote → removeReplica,
 * each bumping the shard's epoch and the map version and nothing else's; one move per shard at a
 * time; a cancel before the promotion; replica ids never reused; and every step refused, with
 * nothing changed, when it does not fit the state (unknown shard or node, wrong step, wrong node).
 */
import { beforeEach, describe, expect, test } from "bun:test";
import type { CoordinatorChange } from "../../../src/cluster/meta/coordinator_command.ts";
import type { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { accept, bootstrapped, refuse, spec } from "./coordinator_fixtures.ts";

let machine: CoordinatorMachine;

/** 3 nodes, 4 shards (each on all three, replica ids 1..12), and n4 joined and up. */
beforeEach(async () => {
  machine = await bootstrapped(3, 4);
  await accept(machine, { kind: "addNode", node: spec(4) });
  await accept(machine, { kind: "markNode", node: 4, state: "up" });
});

const epochs = () => machine.shardMap()!.shards.map((shard) => shard.epoch);

describe("a move", () => {
  test("learner, promote, remove the source: each step bumps the shard's epoch and the map version", async () => {
    const changes: CoordinatorChange[] = [];
    machine.subscribe((change) => changes.push(change));
    const learner = await accept(machine, { kind: "addLearner", shard: 2, from: 1, to: 4 });
    expect(learner).toEqual({ ok: true, changed: true, replica: 13 });
    expect(machine.move(2)).toEqual({ shard: 2, from: 1, to: 4 });
    expect(machine.replicasOn(4)).toEqual([{ shard: 2, replica: 13, role: "learner" }]);
    expect([machine.mapVersion, ...epochs()]).toEqual([2, 1, 2, 1, 1]);
    await accept(machine, { kind: "promote", shard: 2, node: 4 });
    expect(machine.replicasOn(4)).toEqual([{ shard: 2, replica: 13, role: "voter" }]);
    expect(machine.shard(2)!.replicas).toHaveLength(4);
    expect([machine.mapVersion, ...epochs()]).toEqual([3, 1, 3, 1, 1]);
    await accept(machine, { kind: "removeReplica", shard: 2, node: 1 });
    expect(machine.move(2)).toBeUndefined();
    expect(machine.descriptor(2)!.replicas.map((replica) => replica.node)).toEqual([2, 3, 4]);
    expect(machine.replicasOn(1).map((held) => held.shard)).toEqual([1, 3, 4]);
    expect([machine.mapVersion, ...epochs()]).toEqual([4, 1, 4, 1, 1]);
    expect(changes.map((change) => [change.mapVersion, change.shards])).toEqual([[2, [2]], [3, [2]], [4, [2]]]);
  });

  test("moves of different shards run side by side", async () => {
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await accept(machine, { kind: "addLearner", shard: 3, from: 2, to: 4 });
    expect(machine.moves().map((move) => move.shard)).toEqual([1, 3]);
  });

  test("a second move of the same shard is refused while one runs, the same move included", async () => {
    await accept(machine, { kind: "addLearner", shard: 2, from: 1, to: 4 });
    await refuse(machine, { kind: "addLearner", shard: 2, from: 1, to: 4 }, "MOVE_IN_PROGRESS");
    await refuse(machine, { kind: "addLearner", shard: 2, from: 3, to: 4 }, "MOVE_IN_PROGRESS");
    await accept(machine, { kind: "promote", shard: 2, node: 4 });
    await refuse(machine, { kind: "addLearner", shard: 2, from: 2, to: 4 }, "MOVE_IN_PROGRESS");
    await accept(machine, { kind: "removeReplica", shard: 2, node: 1 });
    await accept(machine, { kind: "addLearner", shard: 2, from: 4, to: 1 });
  });

  test("a cancel: the learner removed before its promotion ends the move; its id is never given again", async () => {
    await accept(machine, { kind: "addLearner", shard: 2, from: 1, to: 4 });
    await accept(machine, { kind: "removeReplica", shard: 2, node: 4 });
    expect(machine.move(2)).toBeUndefined();
    expect(machine.replicasOn(4)).toEqual([]);
    expect([machine.mapVersion, ...epochs()]).toEqual([3, 1, 3, 1, 1]);
    const again = await accept(machine, { kind: "addLearner", shard: 2, from: 1, to: 4 });
    expect(again).toEqual({ ok: true, changed: true, replica: 14 });
  });

  test("a node that moved away and comes back gets a new replica id", async () => {
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await accept(machine, { kind: "promote", shard: 1, node: 4 });
    await accept(machine, { kind: "removeReplica", shard: 1, node: 1 });
    const back = await accept(machine, { kind: "addLearner", shard: 1, from: 4, to: 1 });
    expect(back).toEqual({ ok: true, changed: true, replica: 14 });
    expect(machine.shard(1)!.replicas.find((replica) => replica.node === 1)!.replica).toBe(14);
  });
});

describe("refused steps change nothing", () => {
  test("addLearner: unknown shard or node, target not up, source without a voter, target with a replica", async () => {
    await accept(machine, { kind: "addNode", node: spec(5) });
    await refuse(machine, { kind: "addLearner", shard: 9, from: 1, to: 4 }, "UNKNOWN_SHARD");
    await refuse(machine, { kind: "addLearner", shard: 1, from: 8, to: 4 }, "UNKNOWN_NODE");
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 8 }, "UNKNOWN_NODE");
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 5 }, "NODE_NOT_UP");
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 1 }, "INVALID_MOVE");
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 2 }, "INVALID_MOVE");
    await accept(machine, { kind: "markNode", node: 5, state: "up" });
    await refuse(machine, { kind: "addLearner", shard: 1, from: 4, to: 5 }, "INVALID_MOVE");
    await accept(machine, { kind: "markNode", node: 4, state: "draining" });
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 }, "NODE_NOT_UP");
    await accept(machine, { kind: "removeNode", node: 5 });
    await refuse(machine, { kind: "addLearner", shard: 1, from: 1, to: 5 }, "NODE_REMOVED");
  });

  test("a source whose replica is a learner cannot be moved", async () => {
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await refuse(machine, { kind: "addLearner", shard: 1, from: 4, to: 2 }, "MOVE_IN_PROGRESS");
  });

  test("promote: no move, another node, twice; unknown shard or node", async () => {
    await refuse(machine, { kind: "promote", shard: 1, node: 4 }, "NO_SUCH_MOVE_STEP");
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await refuse(machine, { kind: "promote", shard: 1, node: 2 }, "NO_SUCH_MOVE_STEP");
    await refuse(machine, { kind: "promote", shard: 2, node: 4 }, "NO_SUCH_MOVE_STEP");
    await refuse(machine, { kind: "promote", shard: 9, node: 4 }, "UNKNOWN_SHARD");
    await refuse(machine, { kind: "promote", shard: 1, node: 8 }, "UNKNOWN_NODE");
    await accept(machine, { kind: "promote", shard: 1, node: 4 });
    await refuse(machine, { kind: "promote", shard: 1, node: 4 }, "NO_SUCH_MOVE_STEP");
  });

  test("removeReplica: no move, the source before the promotion, the target after it, a bystander", async () => {
    await refuse(machine, { kind: "removeReplica", shard: 1, node: 1 }, "NO_SUCH_MOVE_STEP");
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    await refuse(machine, { kind: "removeReplica", shard: 1, node: 1 }, "NO_SUCH_MOVE_STEP");
    await refuse(machine, { kind: "removeReplica", shard: 1, node: 2 }, "NO_SUCH_MOVE_STEP");
    await refuse(machine, { kind: "removeReplica", shard: 9, node: 1 }, "UNKNOWN_SHARD");
    await accept(machine, { kind: "promote", shard: 1, node: 4 });
    await refuse(machine, { kind: "removeReplica", shard: 1, node: 4 }, "NO_SUCH_MOVE_STEP");
    await refuse(machine, { kind: "removeNode", node: 4 }, "NODE_HOLDS_REPLICAS");
  });
});
