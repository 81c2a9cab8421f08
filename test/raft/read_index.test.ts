/** Linearizable reads by ReadIndex (§6.4). */
import { describe, expect, test } from "bun:test";
import { NotLeaderError, RaftError, ReadIndexQueueFullError } from "../../src/cluster/raft/errors.ts";
import { Harness, bytes } from "./harness.ts";

describe("ReadIndex (§6.4)", () => {
  test("a read gets the commit index once a majority answered a heartbeat round", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.node(1).propose(bytes("x"));
    cluster.deliverAll();
    const commit = cluster.node(1).status().commit;
    cluster.node(1).readIndex(bytes("r1"));
    cluster.processReadies();
    expect(cluster.readStates.get(1)).toEqual([]);
    expect(cluster.queue.filter((message) => message.type === "heartbeat")).toHaveLength(2);
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toEqual([{ index: commit, context: bytes("r1") }]);
  });

  test("a leader cut off from the majority answers no read", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.drop = (message) => message.from === 1 || message.to === 1;
    cluster.node(1).readIndex(bytes("r1"));
    cluster.deliverAll();
    cluster.tick(1, 3);
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toEqual([]);
  });

  test("a read waits until the new leader commits an entry of its term", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.drop = (message) => message.type === "appendResponse";
    cluster.elect(1);
    cluster.node(1).readIndex(bytes("early"));
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toEqual([]);
    cluster.drop = () => false;
    cluster.tick(1, 2);
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toEqual([{ index: cluster.node(1).status().commit, context: bytes("early") }]);
  });

  test("one heartbeat round confirms every older pending read", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    for (const context of ["a", "b", "c"]) cluster.node(1).readIndex(bytes(context));
    cluster.deliverAll();
    expect(cluster.readStates.get(1)?.map((state) => new TextDecoder().decode(state.context))).toEqual(["a", "b", "c"]);
    expect(cluster.sent.filter((message) => message.type === "heartbeat" && message.context !== null)).toHaveLength(2);
  });

  test("a single-voter group answers at once", () => {
    const cluster = new Harness([1]);
    cluster.elect(1);
    cluster.node(1).readIndex(bytes("solo"));
    cluster.processReadies();
    expect(cluster.readStates.get(1)).toHaveLength(1);
  });

  test("typed refusals: follower, duplicate context, full queue", () => {
    const cluster = new Harness([1, 2, 3], { readIndexQueueMax: 2 });
    cluster.elect(1);
    expect(() => cluster.node(2).readIndex(bytes("x"))).toThrow(NotLeaderError);
    cluster.drop = () => true;
    cluster.node(1).readIndex(bytes("x"));
    expect(() => cluster.node(1).readIndex(bytes("x"))).toThrow(RaftError);
    cluster.node(1).readIndex(bytes("y"));
    expect(() => cluster.node(1).readIndex(bytes("z"))).toThrow(ReadIndexQueueFullError);
  });
});
