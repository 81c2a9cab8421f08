/**
 * The rows of `cluster shards` and `cluster nodes` (src/cluster/meta/cluster_overview.ts), built
 * from real coordinator machines (commands applied as entries) and synthetic local reports: which
 * replica's figures a row shows, how the leader is chosen between claims, terms and hints, which
 * reports count, how nodes are counted and named, and the JSON shapes field by field.
 */
import { describe, expect, test } from "bun:test";
import {
  nodeRows, nodesToAsk, shardRows, viewedShardMap, type GatheredReports, type NodeLocalReport,
} from "../../../src/cluster/meta/cluster_overview.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import type { NodeState } from "../../../src/cluster/meta/coordinator_state.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";
import { accept, bootstrapped, spec } from "./coordinator_fixtures.ts";
import { replicaStats, reportOf } from "./overview_fixtures.ts";

function gathered(reports: NodeLocalReport[], unreachable: Array<[NodeId, string]> = []): GatheredReports {
  return { reports: new Map(reports.map((report) => [report.node, report])), unreachable: new Map(unreachable) };
}

const half = "8000000000000000";
const end = "10000000000000000";

describe("shard rows", () => {
  test("the leader's figures, else the most applied replica's; every field of the shape", async () => {
    const machine = await bootstrapped(3, 2);
    machine.reportLeader(2, 3, 4);
    const reports = gathered([
      reportOf(machine, 1, {
        1: { isLeader: true, term: 2, appliedIndex: 10, commitIndex: 10, keys: 5, bytes: 50 },
        2: { term: 4, appliedIndex: 7, commitIndex: 8, keys: 3, bytes: 30 },
      }),
      reportOf(machine, 2, {
        1: { term: 2, appliedIndex: 12, commitIndex: 10, keys: 6, bytes: 60 },
        2: { term: 4, appliedIndex: 8, commitIndex: 8, keys: 4, bytes: 40 },
      }),
    ], [[3, "admin endpoint 10.0.0.3:7200: connection refused"]]);
    const replica = (node: string, id: number, appliedIndex: number | null) => ({
      node, role: "voter" as const, replica: id, appliedIndex,
    });
    expect(shardRows(machine, reports)).toEqual([
      {
        id: 1, range: ["0000000000000000", half], epoch: 1, leader: "n1",
        replicas: [replica("n1", 1, 10), replica("n2", 2, 12), replica("n3", 3, null)],
        keys: 5, bytes: 50, appliedIndex: 10, statsFrom: "n1", moving: null,
      },
      {
        // n3 leads by the hint (term 4, no newer term reported); it did not answer, so n2's figures show.
        id: 2, range: [half, end], epoch: 1, leader: "n3",
        replicas: [replica("n1", 4, 7), replica("n2", 5, 8), replica("n3", 6, null)],
        keys: 4, bytes: 40, appliedIndex: 8, statsFrom: "n2", moving: null,
      },
    ]);
  });

  test("no replica reported: keys and bytes 0, applied index and source null, leader from the hint", async () => {
    const machine = await bootstrapped(3, 1);
    expect(shardRows(machine, gathered([]))[0]).toMatchObject({
      leader: null, keys: 0, bytes: 0, appliedIndex: null, statsFrom: null,
    });
    machine.reportLeader(1, 2, 1);
    expect(shardRows(machine, gathered([]))[0]!.leader).toBe("n2");
  });

  test("before bootstrap: no rows, no map", () => {
    const machine = new CoordinatorMachine();
    expect(shardRows(machine, gathered([]))).toEqual([]);
    expect(nodeRows(machine, gathered([]))).toEqual([]);
    expect(viewedShardMap(machine, gathered([]))).toBeNull();
  });
});

describe("choosing the leader", () => {
  test("a claim in the newest term reported wins over the hint", async () => {
    const machine = await bootstrapped(3, 1);
    machine.reportLeader(1, 2, 3);
    const reports = gathered([reportOf(machine, 3, { 1: { isLeader: true, term: 5 } })]);
    expect(shardRows(machine, reports)[0]!.leader).toBe("n3");
  });

  test("of two claims, the higher term's", async () => {
    const machine = await bootstrapped(3, 1);
    const reports = gathered([
      reportOf(machine, 1, { 1: { isLeader: true, term: 6 } }),
      reportOf(machine, 2, { 1: { isLeader: true, term: 7 } }),
    ]);
    expect(shardRows(machine, reports)[0]!.leader).toBe("n2");
  });

  test("a claim behind a newer term is stale: the hint stands in, unless its own node denies it", async () => {
    const machine = await bootstrapped(3, 1);
    const staleClaim = reportOf(machine, 1, { 1: { isLeader: true, term: 3 } });
    const newerFollower = reportOf(machine, 2, { 1: { term: 4 } });
    expect(shardRows(machine, gathered([staleClaim, newerFollower]))[0]!.leader).toBeNull();
    machine.reportLeader(1, 3, 4);
    expect(shardRows(machine, gathered([staleClaim, newerFollower]))[0]!.leader).toBe("n3");
    // n3 answers and does not lead (or leads only in an older term): the hint is denied.
    const deniedBy = (figures: { isLeader: boolean; term: number }) => gathered([
      staleClaim, newerFollower, reportOf(machine, 3, { 1: figures }),
    ]);
    expect(shardRows(machine, deniedBy({ isLeader: false, term: 4 }))[0]!.leader).toBeNull();
    expect(shardRows(machine, deniedBy({ isLeader: true, term: 2 }))[0]!.leader).toBeNull();
  });

  test("a learner's claim is not taken; the row's figures still come from the most applied", async () => {
    const machine = await bootstrapped(3, 1);
    await accept(machine, { kind: "addNode", node: spec(4) });
    await accept(machine, { kind: "markNode", node: 4, state: "up" });
    await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
    const reports = gathered([reportOf(machine, 4, { 1: { isLeader: true, term: 9, appliedIndex: 3 } })]);
    const row = shardRows(machine, reports)[0]!;
    expect(row.leader).toBeNull();
    expect(row.statsFrom).toBe("n4");
    expect(row.epoch).toBe(2);
    expect(row.moving).toEqual({ from: "n1", to: "n4" });
    const roles = row.replicas.map(({ node, role }) => `${node}:${role}`);
    expect(roles).toEqual(["n1:voter", "n2:voter", "n3:voter", "n4:learner"]);
  });
});

describe("which reports count", () => {
  test("only replicas the coordinator lists, by shard, node and replica id", async () => {
    const machine = await bootstrapped(3, 1);
    const listed = replicaStats(machine, 1, 2, { appliedIndex: 5, keys: 1 });
    const oldReplica = { ...replicaStats(machine, 1, 3, { appliedIndex: 99, keys: 99 }), replica: 77 };
    const unknownShard = { ...listed, shard: 42, appliedIndex: 100 };
    const forAnotherNode = { ...replicaStats(machine, 1, 1, { appliedIndex: 98, isLeader: true, term: 9 }), node: 1 };
    const reports = gathered([
      { node: 2, replicas: [listed, unknownShard] },
      { node: 3, replicas: [oldReplica, forAnotherNode] },
    ]);
    const row = shardRows(machine, reports)[0]!;
    expect(row).toMatchObject({ leader: null, appliedIndex: 5, keys: 1, statsFrom: "n2" });
    expect(row.replicas.map((replica) => replica.appliedIndex)).toEqual([null, 5, null]);
  });
});

describe("node rows", () => {
  test("addresses, states, replicas placed and leaders chosen; unreachable and removed nodes", async () => {
    const machine = await bootstrapped(3, 4);
    await accept(machine, { kind: "addNode", node: spec(4) });
    await accept(machine, { kind: "addNode", node: spec(5) });
    await accept(machine, { kind: "removeNode", node: 5 });
    const silent = "admin endpoint 10.0.0.3:7200: no answer within 1000 ms";
    const reports = gathered([
      reportOf(machine, 1, { 1: { isLeader: true, term: 2 }, 2: { isLeader: true, term: 2 } }),
      reportOf(machine, 2, { 3: { isLeader: true, term: 2 } }),
      { node: 4, replicas: [] },
    ], [[3, silent]]);
    machine.reportLeader(4, 3, 2);
    const host = (id: number) => `10.0.0.${id}`;
    const addresses = (id: number) => (
      { client: `${host(id)}:7000`, peer: `${host(id)}:7100`, admin: `${host(id)}:7200` }
    );
    const row = (id: number, state: string, replicas: number, leaders: number, recorded: NodeState) => ({
      id: `n${id}`, ...addresses(id), state, replicas, leaders, coordinatorState: recorded,
    });
    expect(nodeRows(machine, reports)).toEqual([
      { ...row(1, "up", 4, 2, "up"), reachable: true, problem: null },
      { ...row(2, "up", 4, 1, "up"), reachable: true, problem: null },
      { ...row(3, "unreachable", 4, 1, "up"), reachable: false, problem: silent },
      { ...row(4, "joining", 0, 0, "joining"), reachable: true, problem: null },
      { ...row(5, "removed", 0, 0, "removed"), reachable: null, problem: null },
    ]);
    expect(nodesToAsk(machine, 1).map((node) => node.id)).toEqual([2, 3, 4]);
  });

  test("nodes print by the name the coordinator recorded", async () => {
    const machine = new CoordinatorMachine();
    const named = (id: number, name: string) => ({ ...spec(id), name });
    const nodes = [named(0x80000001, "db-a"), named(0x80000002, "db-b")];
    const factors = { replicationFactor: 2, metaVoters: 1 };
    await accept(machine, { kind: "bootstrap", clusterId: "c", shardCount: 1, ...factors, nodes });
    const reports = gathered([reportOf(machine, 0x80000002, { 1: { isLeader: true, term: 1 } })]);
    expect(nodeRows(machine, reports).map((node) => [node.id, node.leaders])).toEqual([["db-a", 0], ["db-b", 1]]);
    expect(shardRows(machine, reports)[0]).toMatchObject({ leader: "db-b", statsFrom: "db-b" });
    expect(shardRows(machine, reports)[0]!.replicas.map((replica) => replica.node)).toEqual(["db-a", "db-b"]);
  });
});

test("the viewed shard map carries the rows' leaders and the map version", async () => {
  const machine = await bootstrapped(3, 2);
  machine.reportLeader(1, 1, 1);
  const reports = gathered([reportOf(machine, 3, { 2: { isLeader: true, term: 3 } })]);
  const map = viewedShardMap(machine, reports)!;
  expect(map.version).toBe(machine.mapVersion);
  expect(map.shards.map((shard) => shard.leader)).toEqual([1, 3]);
  expect(shardRows(machine, reports).map((row) => row.leader)).toEqual(["n1", "n3"]);
});
