/**
 * The coordinator's machine on real replica drivers (src/cluster/replica/replica_driver.ts), three
 * of them in one process over the in-memory peer network and Raft storage: commands proposed to
 * the leader are answered with the machine's typed outcomes; the leader is stopped in the middle
 * of a replica move and a new one finishes it; the old leader comes back from its storage, catches
 * up by a snapshot of the coordinator's state (its log was compacted meanwhile), and all three
 * hold the same state, byte for byte, having told their subscribers every change in order.
 */
import { afterEach, expect, test } from "bun:test";
import { encodeCommand } from "../../../src/cluster/meta/coordinator_codec.ts";
import type {
  CoordinatorChange, CoordinatorCommand, CoordinatorOutcome,
} from "../../../src/cluster/meta/coordinator_command.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";
import { ReplicaDriver } from "../../../src/cluster/replica/replica_driver.ts";
import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import type { PeerTransport } from "../../../src/cluster/transport/types.ts";
import { waitFor } from "../../support/wait_for.ts";
import { bootstrapCommand, spec } from "./coordinator_fixtures.ts";

type MetaDriver = ReplicaDriver<CoordinatorOutcome, CoordinatorMachine>;

const members: NodeId[] = [1, 2, 3];
/** How long a proposal may wait for its commit: far beyond an election, it only bounds a failing test. */
const proposalDeadlineMs = 20_000;

/** The meta group's three replicas: each keeps its Raft storage across a stop, as a disk would. */
class MetaGroup {
  readonly network = new MemoryPeerNetwork();
  readonly drivers = new Map<NodeId, MetaDriver>();
  readonly changes = new Map<NodeId, CoordinatorChange[]>();
  private readonly storages = new Map<NodeId, MemoryRaftStorage>();
  private readonly transports = new Map<NodeId, PeerTransport>();

  start(id: NodeId): MetaDriver {
    const storage = this.storages.get(id) ?? new MemoryRaftStorage({ voters: members, learners: [] });
    this.storages.set(id, storage);
    const transport = this.network.join(id, new Map(members.map((member) => [member, `memory:${member}`])));
    const machine = CoordinatorMachine.fromSnapshot(storage.snapshot());
    const seen: CoordinatorChange[] = [];
    this.changes.set(id, seen);
    machine.subscribe((change) => seen.push(change));
    // Snapshots every few entries, keeping one: a replica stopped for a while catches up by snapshot.
    const options = { nodeId: id, storage, transport, machine, randomSeed: id * 7919 };
    const snapshots = { snapshotEveryEntries: 4, entriesKeptAfterSnapshot: 1 };
    const driver = ReplicaDriver.start<CoordinatorOutcome, CoordinatorMachine>({ ...options, ...snapshots });
    this.drivers.set(id, driver);
    this.transports.set(id, transport);
    return driver;
  }

  async stop(id: NodeId): Promise<void> {
    await this.drivers.get(id)?.close();
    await this.transports.get(id)?.close();
    this.drivers.delete(id);
  }

  /** The one running replica that leads, once there is one. */
  leader(): Promise<MetaDriver> {
    return waitFor(() => {
      const leaders = [...this.drivers.values()].filter((driver) => driver.isLeader());
      return leaders.length === 1 ? leaders[0] : null;
    }, "a single leader of the meta group");
  }

  async propose(command: CoordinatorCommand): Promise<CoordinatorOutcome> {
    const leader = await this.leader();
    const outcome = await leader.propose(encodeCommand(command), leader.clock.now() + proposalDeadlineMs);
    expect(outcome).toBeDefined();
    return outcome!;
  }

  async close(): Promise<void> {
    for (const id of [...this.drivers.keys()]) await this.stop(id);
  }
}

let group: MetaGroup | undefined;
afterEach(async () => {
  await group?.close();
  group = undefined;
});

const accepted = { ok: true, changed: true } as const;

test("3 replicas agree on the coordinator's state; the leader fails over in the middle of a move", async () => {
  group = new MetaGroup();
  const running = group;
  for (const id of members) running.start(id);
  expect(await running.propose(bootstrapCommand(3, 8))).toEqual(accepted);
  expect(await running.propose({ kind: "addNode", node: spec(4) })).toEqual(accepted);
  expect(await running.propose({ kind: "markNode", node: 4, state: "up" })).toEqual(accepted);
  expect(await running.propose({ kind: "addLearner", shard: 1, from: 1, to: 4 })).toEqual({ ...accepted, replica: 25 });
  const refusal = await running.propose({ kind: "addLearner", shard: 1, from: 2, to: 4 });
  expect(refusal).toMatchObject({ ok: false, code: "MOVE_IN_PROGRESS" });

  const firstLeader = (await running.leader()).nodeId;
  await running.stop(firstLeader);
  const secondLeader = await running.leader();
  expect(secondLeader.nodeId).not.toBe(firstLeader);
  expect(secondLeader.machine.move(1)).toEqual({ shard: 1, from: 1, to: 4 });
  const rest: CoordinatorCommand[] = [
    { kind: "promote", shard: 1, node: 4 },
    { kind: "removeReplica", shard: 1, node: 1 },
    { kind: "addNode", node: spec(5) },
    { kind: "markNode", node: 5, state: "up" },
    { kind: "addLearner", shard: 2, from: 2, to: 5 },
    { kind: "promote", shard: 2, node: 5 },
    { kind: "removeReplica", shard: 2, node: 2 },
    { kind: "addNode", node: spec(6) },
    { kind: "removeNode", node: 6 },
    { kind: "setSetting", name: "metaVoters", value: 1 },
  ];
  for (const command of rest) expect(await running.propose(command)).toMatchObject({ ok: true });

  const restarted = running.start(firstLeader);
  const leader = await running.leader();
  const caughtUp = () => {
    const applied = leader.machine.appliedIndex;
    return [...running.drivers.values()].every((each) => each.machine.appliedIndex === applied);
  };
  await waitFor(caughtUp, "every replica applied as far as the leader");
  expect(restarted.counters.snapshotsInstalled).toBeGreaterThan(0);
  expectSameState(running, leader.machine);
  expectFinalState(leader.machine);
  for (const [id, changes] of running.changes) expectChangesInOrder(changes, id === firstLeader);
}, 60_000);

function expectSameState(group: MetaGroup, leader: CoordinatorMachine): void {
  for (const driver of group.drivers.values()) expect(driver.machine.encodedState()).toEqual(leader.encodedState());
}

function expectFinalState(machine: CoordinatorMachine): void {
  expect(machine.mapVersion).toBe(7);
  expect(machine.moves()).toEqual([]);
  const shardOne = machine.shard(1)!.replicas.map(({ node, role }) => [node, role]);
  expect(shardOne).toEqual([[2, "voter"], [3, "voter"], [4, "voter"]]);
  expect(machine.shard(1)!.epoch).toBe(4);
  expect(machine.shard(2)!.epoch).toBe(4);
  expect(machine.replicasOn(4)).toEqual([{ shard: 1, replica: 25, role: "voter" }]);
  expect(machine.replicasOn(5)).toEqual([{ shard: 2, replica: 26, role: "voter" }]);
  const states = machine.nodes().map((node) => [node.id, node.state]);
  expect(states).toEqual([[1, "up"], [2, "up"], [3, "up"], [4, "up"], [5, "up"], [6, "removed"]]);
  expect(machine.settings()!.metaVoters).toBe(1);
}

/** A replica's subscribers saw the map version only grow, up to the last; a restarted one read a restore. */
function expectChangesInOrder(changes: CoordinatorChange[], restarted: boolean): void {
  const versions = changes.map((change) => change.mapVersion);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(versions.at(-1)).toBe(7);
  const indexes = changes.map((change) => change.index);
  expect(new Set(indexes).size).toBe(indexes.length);
  expect(changes.some((change) => change.restored)).toBe(restarted);
}
