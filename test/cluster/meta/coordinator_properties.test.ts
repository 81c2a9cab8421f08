/**
 * Properties of the coordinator's machine under random command sequences (command_arbitraries.ts):
 * two machines apply the same commands, one of them replaced at random points by a machine
 * restored from a snapshot (its own or the other's); after every command both gave the same
 * outcome and hold the same state (the same canonical bytes). Along the way the state keeps its
 * invariants (state_check.ts), the shard map covers the hash space exactly, epochs and the map
 * version never go down (and the version moves exactly when a shard changes), a refused command
 * changes nothing, replica ids are never reused, and a removed node stays removed.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { decodeSnapshot } from "../../../src/cluster/meta/coordinator_codec.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { coordinatorStateProblem } from "../../../src/cluster/meta/state_check.ts";
import { endOfSpace } from "../../../src/cluster/placement/hash_range.ts";
import { bigOf } from "../placement/shard_maps.ts";
import { commandSequence } from "./command_arbitraries.ts";
import { run, stateBytes } from "./coordinator_fixtures.ts";

/** Sequences tried: each runs up to 60 commands through two machines with full checks after each. */
const sequencesTried = 300;

/** What the history of one machine must never break, checked after every command. */
class HistoryChecks {
  private mapVersion = 0;
  private readonly epochs = new Map<number, number>();
  /** Replica id → "shard/node" it was given to; and the ids that left their shard. */
  private readonly replicaHomes = new Map<number, string>();
  private readonly replicasGone = new Set<number>();
  private readonly removedNodes = new Set<number>();
  private shardsText = "";

  check(machine: CoordinatorMachine): void {
    const { state } = decodeSnapshot(machine.encodedState());
    expect(coordinatorStateProblem(state)).toBeNull();
    const map = machine.shardMap();
    if (map === null) return;
    expectCoversSpace(map.shards.map((shard) => [bigOf(shard.range.start), bigOf(shard.range.end)]));
    const shardsText = JSON.stringify(map.shards);
    expect(map.version).toBeGreaterThanOrEqual(this.mapVersion);
    expect(map.version > this.mapVersion).toBe(shardsText !== this.shardsText);
    this.mapVersion = map.version;
    this.shardsText = shardsText;
    for (const shard of map.shards) {
      expect(shard.epoch).toBeGreaterThanOrEqual(this.epochs.get(shard.id) ?? 1);
      this.epochs.set(shard.id, shard.epoch);
    }
    this.checkReplicaIds(machine);
    for (const node of machine.nodes()) {
      if (this.removedNodes.has(node.id)) expect(node.state).toBe("removed");
      if (node.state === "removed") this.removedNodes.add(node.id);
    }
  }

  private checkReplicaIds(machine: CoordinatorMachine): void {
    const present = new Set<number>();
    for (const shard of machine.shardMap()!.shards) {
      for (const { replica, node } of machine.shard(shard.id)!.replicas) {
        const home = `${shard.id}/${node}`;
        expect(this.replicasGone.has(replica)).toBe(false);
        expect(this.replicaHomes.get(replica) ?? home).toBe(home);
        this.replicaHomes.set(replica, home);
        present.add(replica);
      }
    }
    for (const replica of this.replicaHomes.keys()) if (!present.has(replica)) this.replicasGone.add(replica);
  }
}

/** Sorted [start, end) ranges that cover [0, 2^64) exactly. */
function expectCoversSpace(ranges: Array<[bigint, bigint]>): void {
  let expected = 0n;
  for (const [start, end] of ranges) {
    expect(start).toBe(expected);
    expect(end > start).toBe(true);
    expected = end;
  }
  expect(expected).toBe(bigOf(endOfSpace));
}

/** A machine restored from `source`'s snapshot, as a lagging replica installs one. */
async function restoredFrom(source: CoordinatorMachine): Promise<CoordinatorMachine> {
  const snapshot = await source.snapshot();
  const machine = new CoordinatorMachine();
  await machine.restore(await snapshot.data, snapshot.index);
  return machine;
}

test("two machines, one restored at random points: same outcomes, same states, invariants kept", async () => {
  const restores = fc.array(fc.record({ at: fc.nat({ max: 60 }), fromOther: fc.boolean() }), { maxLength: 4 });
  await fc.assert(fc.asyncProperty(commandSequence, restores, async (commands, restorePoints) => {
    const first = new CoordinatorMachine();
    let second = new CoordinatorMachine();
    const checks = new HistoryChecks();
    for (const [step, command] of commands.entries()) {
      for (const point of restorePoints.filter((each) => each.at === step)) {
        second = await restoredFrom(point.fromOther ? first : second);
      }
      const before = stateBytes(first);
      const outcome = await run(first, command);
      expect(await run(second, command)).toEqual(outcome);
      expect(second.encodedState()).toEqual(first.encodedState());
      if (!outcome.ok || !outcome.changed) expect(stateBytes(first)).toEqual(before);
      checks.check(first);
    }
  }), { numRuns: sequencesTried });
}, 120_000);

test("the random sequences reach every command accepted and the main refusals", async () => {
  const seen = new Set<string>();
  for (const commands of fc.sample(commandSequence, { numRuns: 300, seed: 16 })) {
    const machine = new CoordinatorMachine();
    for (const command of commands) {
      const outcome = await run(machine, command);
      seen.add(outcome.ok ? `${command.kind} ${outcome.changed ? "changed" : "unchanged"}` : outcome.code);
    }
  }
  const kinds = ["bootstrap", "addNode", "markNode", "removeNode", "addLearner", "promote", "removeReplica"];
  kinds.push("setSetting");
  const refusals = ["NOT_BOOTSTRAPPED", "ALREADY_BOOTSTRAPPED", "NODE_CONFLICT", "NODE_NOT_UP", "MOVE_IN_PROGRESS",
    "NO_SUCH_MOVE_STEP", "INVALID_MOVE", "NODE_HOLDS_REPLICAS", "INVALID_TRANSITION", "FIXED_SETTING"];
  expect([...seen].filter((each) => kinds.map((kind) => `${kind} changed`).includes(each)).sort()).toEqual(
    kinds.map((kind) => `${kind} changed`).sort(),
  );
  for (const code of refusals) expect([code, seen.has(code)]).toEqual([code, true]);
});
