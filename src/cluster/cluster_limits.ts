/**
 * Timing and bounds of the Raft driver, each with why. The Raft core counts ticks; these give a
 * tick its length and size the driver's queues. Relationships are asserted by
 * validateDriverTiming when this module loads.
 */
import { assert } from "../util/assert.ts";
import { keySizeBytesMax, valueSizeBytesMax } from "../engine/limits.ts";

/** One Raft tick. 10 ms keeps timer overhead small while heartbeats stay frequent. */
export const tickIntervalMs = 10;

/**
 * A follower campaigns after a random 15..30 ticks (150..300 ms) without a leader: long enough
 * that a busy loop turn or a GC pause does not start needless elections, short enough that
 * failover (detection + pre-vote + vote + the new leader's first commit) stays under 1 s.
 */
export const electionTimeoutTicks = 15;

/** Heartbeats every 3 ticks (30 ms): five per election timeout, so one lost heartbeat is harmless. */
export const heartbeatIntervalTicks = 3;

/**
 * A leader that heard from fewer than a majority of voters within one election timeout (150 ms)
 * steps down (check-quorum, §6.2); /healthz judges a leader's quorum over the same window.
 */
export const quorumContactWindowMs = electionTimeoutTicks * tickIntervalMs;

/**
 * /healthz reports a node that has known no leader for longer than this (1200 ms) as unavailable.
 * A follower campaigns at the latest after the longest randomized election timeout (2 x 15 ticks,
 * 300 ms), and a split vote costs another such timeout: four of them cover the detection and
 * any healthy election, so only a group that cannot elect (no quorum) is reported.
 */
export const leaderlessMsMax = 4 * 2 * electionTimeoutTicks * tickIntervalMs;

/**
 * A proposal carries one write: the largest key plus the largest value plus room for the
 * session identity and encoding. Larger would not fit one append message.
 */
export const proposalBytesMax = valueSizeBytesMax + keySizeBytesMax + 64 * 1024;

/** Writes handed to the Raft core in one loop turn (one proposeBatch, one append message per follower). */
export const proposalsPerTurnMax = 4096;

/** Writes waiting for their turn or their commit; past it a write gets OVERLOADED at once. */
export const pendingProposalsMax = 65_536;

/** Strong reads waiting for a ReadIndex round; past it a read gets OVERLOADED. */
export const pendingReadsMax = 65_536;

/**
 * A state-machine snapshot is taken (and the Raft log compacted) after this many applied
 * entries: bounds the log on disk (about 20 MB of small writes) and the replay at restart.
 * A snapshot exports the whole state and checkpoints the engine, whatever the number of
 * entries behind it, so taking one too often costs in proportion to the store's size: at 10,000
 * a busy 3-node group snapshotted every few seconds, and each one showed in the write tail.
 * etcd's default is the same 100,000.
 */
export const snapshotEveryEntries = 100_000;

/**
 * Entries kept behind a snapshot, so a follower slightly behind catches up with entries
 * rather than a whole snapshot.
 */
export const entriesKeptAfterSnapshot = 1_000;

interface DriverTiming {
  tickIntervalMs: number;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
}

function validateDriverTiming(timing: DriverTiming): void {
  assert(timing.tickIntervalMs >= 1, "tick interval must be at least 1 ms");
  assert(timing.heartbeatIntervalTicks < timing.electionTimeoutTicks, "heartbeats must come more often than the election timeout");
  // The longest randomized election timeout must leave room in the 1 s failover target.
  assert(2 * timing.electionTimeoutTicks * timing.tickIntervalMs < 1000, "election timeout too long for sub-second failover");
}

// A leader judged by its quorum must be given less time than a node without any leader.
assert(quorumContactWindowMs < leaderlessMsMax, "the quorum window must be shorter than the leaderless bound");
validateDriverTiming({ tickIntervalMs, electionTimeoutTicks, heartbeatIntervalTicks });
