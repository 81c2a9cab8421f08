/**
 * Figure 3.7 of the dissertation (§3.6.2): a leader must not commit an entry of an earlier
 * term by counting replicas. Replayed step by step on five nodes; with the deliberate
 * mutation the old entry is committed and applied, then overwritten by a later leader.
 */
import { expect, test } from "bun:test";
import type { UnsafeMutations } from "../../src/cluster/raft/config.ts";
import type { Message } from "../../src/cluster/raft/types.ts";
import { Harness, bytes } from "./harness.ts";

const isolate = (...nodes: number[]) => (message: Message) => nodes.includes(message.from) || nodes.includes(message.to);

function electWhileOthersDrop(cluster: Harness, candidate: number): void {
  for (let round = 0; round < 5 && cluster.node(candidate).status().softState.role !== "leader"; round++) cluster.elect(candidate);
  expect(cluster.node(candidate).status().softState.role).toBe("leader");
}

function replay(unsafeMutations: UnsafeMutations): Harness {
  // Pre-vote and check-quorum off: the figure predates them and they only add timing here.
  const cluster = new Harness([1, 2, 3, 4, 5], { preVote: false, checkQuorum: false, appendEntriesCountMax: 1 }, undefined, unsafeMutations);
  cluster.elect(1);
  // (a) S1 leads term 1 and appends x at index 2, which reaches no one; S1 crashes.
  cluster.drop = isolate(1);
  cluster.node(1).propose(bytes("x"));
  cluster.deliverAll();
  // (b) S5 wins term 2 with S3 and S4 and appends its no-op at index 2, which reaches no one.
  cluster.drop = (message) => isolate(1, 2)(message) || (message.from === 5 && message.type === "append");
  electWhileOthersDrop(cluster, 5);
  // (c) S1 restarts and wins term 3; x reaches S2, S3 and S4 in one-entry appends, S1's no-op does not.
  cluster.restart(1);
  const wouldDeliverNoop = (message: Message) =>
    message.type === "append" && message.entries.some((entry) => entry.index >= 3) && cluster.node(message.to).termAt(2) === 1;
  cluster.drop = (message) => isolate(5)(message) || wouldDeliverNoop(message);
  electWhileOthersDrop(cluster, 1);
  cluster.deliverAll();
  // (d) S1 crashes; S5 restarts, wins a later term with S2, S3, S4 and overwrites index 2.
  cluster.drop = isolate(1);
  cluster.restart(5);
  electWhileOthersDrop(cluster, 5);
  cluster.deliverAll();
  // S1, cut off, still thinks it leads term 3 (no check-quorum here).
  cluster.announceCommit(5);
  return cluster;
}

function appliedAt(cluster: Harness, node: number, index: number): string | undefined {
  const entry = cluster.applied.get(node)?.find((applied) => applied.index === index);
  return entry === undefined ? undefined : `${entry.term}:${new TextDecoder().decode(entry.data)}`;
}

test("an entry of an earlier term is not committed by counting replicas (§3.6.2, Figure 3.7)", () => {
  const cluster = replay({});
  expect(appliedAt(cluster, 1, 2)).toBeUndefined();
  expect(appliedAt(cluster, 3, 2)).toBe(appliedAt(cluster, 5, 2));
});

test("the commitPriorTermByCounting mutation loses a committed entry in the same schedule", () => {
  const cluster = replay({ commitPriorTermByCounting: true });
  expect(appliedAt(cluster, 1, 2)).toBe("1:x");
  expect(appliedAt(cluster, 3, 2)).not.toBe("1:x");
});
