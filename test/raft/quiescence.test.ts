/**
 * Quiescence in the Raft core (quiescence.ts): when a leader may go quiet and when not, what a
 * quiet leader and a quiet follower do with ticks and messages, and what waking restores: a fresh
 * check-quorum window, no lease from before (a quiet leader's lease clock stood still), and an
 * election timer resumed at the driver's count. The transcript quiescence.txt shows the messages.
 */
import { describe, expect, test } from "bun:test";
import { InvalidMessageError } from "../../src/cluster/raft/errors.ts";
import type { Message, NodeId } from "../../src/cluster/raft/types.ts";
import { Harness, bytes } from "./harness.ts";

const everyoneAlive = (): boolean => true;
const settings = { electionTimeoutTicks: 10, heartbeatIntervalTicks: 2 };

/** Node 1 leads, `a` is committed and known committed everywhere. */
function idleGroup(overrides: Record<string, unknown> = {}): Harness {
  const cluster = new Harness([1, 2, 3], { ...settings, ...overrides });
  if (overrides.leaseReads === true) {
    // Fresh nodes grant no vote for an election timeout with lease reads: let it pass, cut off.
    cluster.drop = () => true;
    for (const id of [2, 3]) cluster.tick(id, 10);
    cluster.deliverAll();
    cluster.drop = () => false;
  }
  cluster.elect(1);
  cluster.node(1).propose(bytes("a"));
  cluster.deliverAll();
  cluster.announceCommit(1);
  return cluster;
}

function quietGroup(overrides: Record<string, unknown> = {}): Harness {
  const cluster = idleGroup(overrides);
  expect(cluster.node(1).quiesce(everyoneAlive)).toBe(true);
  cluster.deliverAll();
  for (const id of [1, 2, 3]) expect(cluster.node(id).isQuiesced()).toBe(true);
  return cluster;
}

function sentSince(cluster: Harness, before: number): Message[] {
  return cluster.sent.slice(before);
}

const preVote = (from: NodeId, to: NodeId): Message =>
  ({ type: "preVote", from, to, term: 2, lastIndex: 9, lastTerm: 1, leadershipTransfer: false });

const appendAnswer = (from: NodeId, to: NodeId, index: number): Message =>
  ({ type: "appendResponse", from, to, term: 1, reject: false, index, hintIndex: 0, hintTerm: 0 });

const quiesceHeartbeat = (from: NodeId, to: NodeId, commit: number): Message =>
  ({ type: "heartbeat", from, to, term: 1, commit, context: null, round: 0, quiesce: true });

describe("a leader goes quiet only when nothing is in flight", () => {
  test("not while a follower on a live node lacks entries, or a read, transfer or unpersisted entry is pending", () => {
    const cluster = idleGroup();
    cluster.drop = (message) => message.to === 3;
    cluster.node(1).propose(bytes("b"));
    cluster.deliverAll();
    expect(cluster.node(1).quiesce(everyoneAlive)).toBe(false);
    // Left out once its node is not alive: the rest is a majority.
    expect(cluster.node(1).quiesce((member) => member !== 3)).toBe(true);
    const reads = idleGroup();
    reads.node(1).readIndex(bytes("r"));
    expect(reads.node(1).quiesce(everyoneAlive)).toBe(false);
    const transfer = idleGroup();
    transfer.drop = () => true;
    transfer.node(1).transferLeadership(2);
    transfer.processReadies();
    expect(transfer.node(1).quiesce(everyoneAlive)).toBe(false);
    const unpersisted = idleGroup();
    unpersisted.node(1).propose(bytes("c"));
    expect(unpersisted.node(1).quiesce(everyoneAlive)).toBe(false);
  });

  test("not without a majority of voters alive and caught up, nor when its own node is not alive (stalled)", () => {
    const cluster = idleGroup();
    expect(cluster.node(1).quiesce((member) => member === 1)).toBe(false);
    expect(cluster.node(1).quiesce((member) => member !== 1)).toBe(false);
    expect(cluster.node(2).quiesce(everyoneAlive)).toBe(false);
    expect(cluster.node(1).quiesce(everyoneAlive)).toBe(true);
    expect(cluster.node(1).quiesce(everyoneAlive)).toBe(false);
  });
});

describe("a quiet group", () => {
  test("sends nothing however long time passes; its followers keep their leader", () => {
    const cluster = quietGroup();
    const before = cluster.sent.length;
    for (const id of [1, 2, 3]) cluster.tick(id, 100);
    cluster.deliverAll();
    expect(sentSince(cluster, before)).toEqual([]);
    for (const id of [2, 3]) expect(cluster.node(id).status().softState).toEqual({ leader: 1, role: "follower" });
    expect(cluster.node(1).status().softState.role).toBe("leader");
  });

  test("a quiet leader drops heartbeat answers and stays quiet; any other message wakes it", () => {
    const cluster = quietGroup();
    const answer: Message = { type: "heartbeatResponse", from: 2, to: 1, term: 1, context: null, round: 0 };
    cluster.node(1).step(answer);
    expect(cluster.node(1).isQuiesced()).toBe(true);
    expect(cluster.node(1).hasReady()).toBe(false);
    const lastIndex = cluster.node(1).status().lastIndex;
    cluster.node(1).step(appendAnswer(2, 1, lastIndex));
    expect(cluster.node(1).isQuiesced()).toBe(false);
    const before = cluster.sent.length;
    cluster.deliverAll();
    // It heartbeats at once, which wakes its followers.
    const heartbeats = sentSince(cluster, before).filter((message) => message.type === "heartbeat");
    expect(heartbeats.map((message) => message.to)).toEqual([2, 3]);
    for (const id of [2, 3]) expect(cluster.node(id).isQuiesced()).toBe(false);
  });

  test("a follower that does not hold the leader's whole log answers the quiesce heartbeat and stays awake", () => {
    const cluster = idleGroup();
    const lastIndex = cluster.node(1).status().lastIndex;
    const before = cluster.sent.length;
    // The commit it carries is the leader's last index: here the leader claims less than it holds.
    cluster.node(2).step(quiesceHeartbeat(1, 2, lastIndex - 1));
    cluster.processReadies();
    expect(cluster.node(2).isQuiesced()).toBe(false);
    expect(sentSince(cluster, before).map((message) => message.type)).toEqual(["heartbeatResponse"]);
    cluster.node(2).step(quiesceHeartbeat(1, 2, lastIndex));
    expect(cluster.node(2).isQuiesced()).toBe(true);
  });
});

describe("a quiesce heartbeat and requests", () => {

  test("a quiesce heartbeat with a read context, or of an older term, does not quiet a follower", () => {
    const cluster = idleGroup();
    const lastIndex = cluster.node(1).status().lastIndex;
    const quiesce = quiesceHeartbeat(1, 2, lastIndex);
    cluster.node(2).step({ ...quiesce, context: bytes("r") } as Message);
    expect(cluster.node(2).isQuiesced()).toBe(false);
    cluster.node(2).step({ ...quiesce, term: 0 });
    expect(cluster.node(2).isQuiesced()).toBe(false);
  });

  test("a proposal, a read, a membership change and a transfer each wake the leader", () => {
    const requests: Array<(cluster: Harness) => void> = [
      (cluster) => cluster.node(1).propose(bytes("b")),
      (cluster) => cluster.node(1).readIndex(bytes("r")),
      (cluster) => cluster.node(1).proposeConfChange({ kind: "addLearner", node: 4 }),
      (cluster) => cluster.node(1).transferLeadership(2),
    ];
    for (const request of requests) {
      const cluster = quietGroup();
      request(cluster);
      expect(cluster.node(1).isQuiesced()).toBe(false);
    }
  });

  test("a restarted member is not quiet", () => {
    const cluster = quietGroup();
    cluster.restart(2);
    expect(cluster.node(2).isQuiesced()).toBe(false);
  });

  test("a quiesce flag that is not a boolean is refused as malformed", () => {
    const cluster = idleGroup();
    const malformed = { type: "heartbeat", from: 1, to: 2, term: 1, commit: 1, context: null, round: 0, quiesce: 1 };
    expect(() => cluster.node(2).step(malformed as unknown as Message)).toThrow(InvalidMessageError);
  });
});

describe("waking", () => {
  test("a follower's election timer resumes at the driver's count: past the timeout it campaigns at once", () => {
    const cluster = quietGroup();
    cluster.drop = () => true;
    cluster.node(2).wake(2 * settings.electionTimeoutTicks);
    cluster.tick(2, 1);
    expect(cluster.node(2).status().softState.role).toBe("preCandidate");
    // Woken with a small count, it waits a whole randomized timeout.
    cluster.node(3).wake(1);
    cluster.tick(3, settings.electionTimeoutTicks - 2);
    expect(cluster.node(3).status().softState.role).toBe("follower");
  });

  test("a woken follower that heard its leader's node lately ignores a pre-vote, as an awake one (§4.2.3)", () => {
    const cluster = quietGroup();
    cluster.node(3).wake(1);
    const before = cluster.sent.length;
    cluster.node(3).step(preVote(2, 3));
    cluster.processReadies();
    expect(sentSince(cluster, before)).toEqual([]);
  });

  test("a quiet follower woken by another member wakes its leader; one woken by its leader does not", () => {
    const cluster = quietGroup();
    const before = cluster.sent.length;
    cluster.node(3).step(preVote(2, 3));
    cluster.processReadies();
    const commit = cluster.node(3).status().commit;
    expect(sentSince(cluster, before)).toEqual([appendAnswer(3, 1, commit)]);
    const afterWakeUp = cluster.sent.length;
    cluster.deliverAll();
    expect(cluster.node(1).isQuiesced()).toBe(false);
    // Node 2, woken by its leader's heartbeat, just answers it.
    const fromTwo = sentSince(cluster, afterWakeUp).filter((message) => message.from === 2);
    expect(fromTwo.map((message) => message.type)).toEqual(["heartbeatResponse"]);
    expect(cluster.node(2).isQuiesced()).toBe(false);
  });

});

describe("a woken leader", () => {
  test("starts a new check-quorum window: cut off, it steps down an election timeout later, not sooner", () => {
    const cluster = quietGroup();
    cluster.drop = () => true;
    cluster.node(1).wake(0);
    cluster.tick(1, settings.electionTimeoutTicks - 1);
    expect(cluster.node(1).status().softState.role).toBe("leader");
    cluster.tick(1, 1);
    expect(cluster.node(1).status().softState.role).toBe("follower");
  });

  test("serves no lease read on a round from before it went quiet: the read takes a heartbeat round", () => {
    const cluster = quietGroup({ leaseReads: true });
    // Quiet for a long time: nothing of the lease may survive it.
    cluster.tick(1, 1000);
    cluster.drop = (message) => message.type === "heartbeatResponse";
    cluster.node(1).readIndex(bytes("after"));
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toEqual([]);
    cluster.drop = () => false;
    cluster.tick(1, settings.heartbeatIntervalTicks);
    cluster.deliverAll();
    expect(cluster.readStates.get(1)!.map((state) => new TextDecoder().decode(state.context))).toEqual(["after"]);
  });

});

describe("a leader stepping down (a stalled disk, a failed replica)", () => {
  test("keeps its term, persists nothing new, and with no caught-up voter alive hands over to nobody", () => {
    const cluster = quietGroup();
    const { term, vote } = cluster.node(1).status();
    const before = cluster.sent.length;
    cluster.node(1).stepDown(() => false);
    const ready = cluster.node(1).ready();
    expect(ready.hardState).toBeUndefined();
    expect([...ready.messagesBeforePersist, ...cluster.node(1).advance(ready)]).toEqual([]);
    expect(cluster.node(1).status()).toMatchObject({ term, vote, softState: { leader: 0, role: "follower" } });
    expect(cluster.node(1).isQuiesced()).toBe(false);
    expect(sentSince(cluster, before)).toEqual([]);
    cluster.node(2).stepDown(everyoneAlive);
    expect(cluster.node(2).status().softState.role).toBe("follower");
  });

  test("hands over to a caught-up voter on a live node (TimeoutNow), which wakes the quiet group and leads", () => {
    const cluster = quietGroup();
    const before = cluster.sent.length;
    cluster.node(1).stepDown((member) => member === 3);
    cluster.deliverAll();
    expect(sentSince(cluster, before)[0]).toMatchObject({ type: "timeoutNow", from: 1, to: 3 });
    expect(cluster.node(3).status().softState.role).toBe("leader");
    for (const id of [1, 2]) expect(cluster.node(id).status().softState.leader).toBe(3);
  });
});

/** The voters that would elect `candidate` now: a pre-vote and a vote, delivered. */
function votesFor(cluster: Harness, candidate: NodeId): NodeId[] {
  cluster.elect(candidate);
  return cluster.node(candidate).status().softState.role === "leader" ? [candidate] : [];
}

describe("a follower woken because its leader's node lapsed", () => {
  test("campaigns and wins once the other follower has lapsed too", () => {
    const cluster = quietGroup();
    cluster.drop = (message) => message.from === 1 || message.to === 1;
    for (const id of [2, 3]) cluster.node(id).wake(settings.electionTimeoutTicks);
    expect(votesFor(cluster, 2)).toEqual([2]);
    expect(cluster.node(3).status().softState.leader).toBe(2);
  });
});
