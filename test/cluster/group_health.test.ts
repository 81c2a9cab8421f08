/**
 * What /healthz says of a replica in each state (group_health.ts), judged from given contact
 * times: serving, a leader without a quorum, a leader that stepped down for lack of one, a
 * follower without a leader for longer than an election takes, removed, failed, and a quiet
 * leader judged by its voters' nodes (node liveness).
 */
import { expect, test } from "bun:test";
import { leaderlessMsMax, quorumContactWindowMs } from "../../src/cluster/cluster_limits.ts";
import { ContactTracker, judgeHealth, type HealthFacts } from "../../src/cluster/replica/group_health.ts";

const startedAtMs = 1000;
const noQuorum = "no quorum (heard from 1 of 3 voters)";

function facts(overrides: Partial<HealthFacts>): HealthFacts {
  return {
    nowMs: startedAtMs + 5000,
    self: 1,
    role: "follower",
    voters: [1, 2, 3],
    lastLeaderContactMs: -Infinity,
    contact: new ContactTracker(startedAtMs),
    removed: false,
    failure: null,
    ...overrides,
  };
}

test("a leader that heard from a majority within the window serves; one that did not says how many it heard", () => {
  const contact = new ContactTracker(startedAtMs);
  const nowMs = startedAtMs + 5000;
  contact.heard(2, nowMs - quorumContactWindowMs);
  contact.heard(3, nowMs - quorumContactWindowMs - 1);
  expect(judgeHealth(facts({ role: "leader", contact, nowMs }))).toEqual({ ok: true });
  contact.heard(2, nowMs - quorumContactWindowMs - 1);
  expect(judgeHealth(facts({ role: "leader", contact, nowMs }))).toEqual({ ok: false, reason: noQuorum });
  expect(judgeHealth(facts({ role: "leader", voters: [1], contact, nowMs }))).toEqual({ ok: true });
});

test("a leader that stepped down without a quorum stays unavailable until it hears from a leader", () => {
  const contact = new ContactTracker(startedAtMs);
  const nowMs = startedAtMs + 5000;
  contact.steppedDown(1, [1, 2, 3], nowMs);
  expect(judgeHealth(facts({ contact, nowMs, lastLeaderContactMs: nowMs }))).toEqual({ ok: false, reason: noQuorum });
  contact.heardFromLeader();
  expect(judgeHealth(facts({ contact, nowMs, lastLeaderContactMs: nowMs }))).toEqual({ ok: true });

  const handedOver = new ContactTracker(startedAtMs);
  handedOver.heard(2, nowMs);
  handedOver.steppedDown(1, [1, 2, 3], nowMs);
  expect(handedOver.quorumLostAtMs).toBeNull();

  // Check-quorum steps down a whole window after the last answers: more than half a window ago.
  const checkQuorum = new ContactTracker(startedAtMs);
  checkQuorum.heard(2, nowMs - quorumContactWindowMs / 2 - 1);
  checkQuorum.heard(3, nowMs - quorumContactWindowMs / 2 - 1);
  checkQuorum.steppedDown(1, [1, 2, 3], nowMs);
  expect(checkQuorum.quorumLostAtMs).toBe(nowMs);
});

test("a follower serves while it heard from a leader, or started, within the bound; then no leader is known", () => {
  const nowMs = startedAtMs + 5000;
  expect(judgeHealth(facts({ nowMs, lastLeaderContactMs: nowMs - leaderlessMsMax }))).toEqual({ ok: true });
  expect(judgeHealth(facts({ nowMs, lastLeaderContactMs: nowMs - leaderlessMsMax - 300 }))).toEqual({
    ok: false, reason: `no leader known for ${leaderlessMsMax + 300} ms`,
  });
  expect(judgeHealth(facts({ nowMs: startedAtMs + leaderlessMsMax }))).toEqual({ ok: true });
  expect(judgeHealth(facts({ nowMs: startedAtMs + leaderlessMsMax + 1 }))).toEqual({
    ok: false, reason: `no leader known for ${leaderlessMsMax + 1} ms`,
  });
});

test("removal and a failed replication come first; only the failure is fatal", () => {
  const nowMs = startedAtMs + 5000;
  const removed = facts({ nowMs, lastLeaderContactMs: nowMs, removed: true });
  expect(judgeHealth(removed)).toEqual({ ok: false, reason: "removed from the group" });
  expect(judgeHealth(facts({ nowMs, lastLeaderContactMs: nowMs, failure: "disk full" }))).toEqual({
    ok: false, reason: "replication stopped: disk full", fatal: true,
  });
});

test("a quiet leader counts its voters' nodes heard (node liveness) as contact; without them it has no quorum", () => {
  const nowMs = startedAtMs + 5000;
  const quietSince = new ContactTracker(startedAtMs);
  quietSince.heard(2, nowMs - 10 * quorumContactWindowMs);
  quietSince.heard(3, nowMs - 10 * quorumContactWindowMs);
  const leader = { role: "leader" as const, contact: quietSince, nowMs };
  expect(judgeHealth(facts(leader))).toEqual({ ok: false, reason: noQuorum });
  const nodeHeardMs = (member: number) => (member === 2 ? nowMs - 20 : undefined);
  expect(judgeHealth(facts({ ...leader, nodeHeardMs }))).toEqual({ ok: true });
});
