/** The smallest Raft scenario: three nodes elect a leader and replicate a proposal. */
import { expect, test } from "bun:test";
import { Harness, bytes } from "./harness.ts";

test("three nodes elect a leader and replicate a proposal (§3.4, §3.5)", () => {
  const cluster = new Harness([1, 2, 3]);
  cluster.elect(1);
  expect(cluster.leader()).toBe(1);
  cluster.node(1).propose(bytes("x"));
  cluster.deliverAll();
  cluster.announceCommit();
  for (const id of [1, 2, 3]) expect(cluster.appliedData(id)).toEqual(["x"]);
});
