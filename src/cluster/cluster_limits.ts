/**
 * Timing and bounds of the Raft driver, each with why. The Raft core counts ticks; these give a
 * tick its length, size the driver's queues and the Raft messages it sends. Relationships are
 * asserted when this module loads: validateDriverTiming, and checkRaftSizesFitPeerFrame (every
 * append and snapshot chunk fits one peer frame).
 */
import { assert, fail } from "../util/assert.ts";
import { recordSizeBytesMax } from "../engine/limits.ts";
import { defaultRaftConfig, type RaftConfig } from "./raft/config.ts";
import { groupMembersMax } from "./raft/conf_change.ts";
import { appendFrameBytesMax, snapshotFrameBytesMax } from "./transport/peer_codec.ts";
import { peerFrameSizeBytesMax } from "./transport/transport_limits.ts";

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
 * Node liveness (health/node_liveness.ts): a node that heard nothing from another for this many
 * of its ticks (an election timeout, 150 ms, five node heartbeats) counts it as lapsed, and wakes
 * every quiet group that node led, whose followers then elect within the rest of their randomized
 * timeout: as soon as an awake follower of a dead leader would. Counted in ticks, not read off the
 * clock: a node whose own event loop stalled has ticked once when it resumes, so it does not take
 * the heartbeats it has not read yet for a lapse.
 */
export const nodeLivenessLapseTicks = electionTimeoutTicks;

/**
 * A node whose shared log has had a write outstanding for longer than this
 * tells its peers its disk is stalled, and they count it as not alive: the groups it led elect
 * elsewhere within the normal election time instead of waiting for a write that may never finish
 * (TiKV's hibernated regions took minutes to fail over on a disk hang, tikv#18916). Its own leaders
 * step down: they could not commit, and their heartbeats would hold their followers.
 */
// Longer than an election timeout: on a busy machine one fdatasync can take a few hundred ms
// (the slow-fsync warning starts at 100), and every false stall moves every leadership the node
// holds. Half a second still fails a hung disk over in well under a second after it stops.
export const diskStallMsMax = 500;

/**
 * A leader whose group had nothing in flight for this many ticks (an election timeout) lets it go
 * quiet (raft/quiescence.ts): a group written to lately is likely written to again soon, and each
 * wake costs a heartbeat round, while waiting costs an idle group a few heartbeats.
 */
export const quiesceAfterIdleTicks = electionTimeoutTicks;

/**
 * A proposal carries one write: the engine's record of its command (any put, delete, cas or
 * batch the engine accepts is at most recordSizeBytesMax) plus room for the entry's own framing
 * (entry_payload_codec.ts: the session id and sequences, msgpack headers of a few bytes per
 * operation). A write whose entry is larger still (a cas's expected value is not part of the
 * record) is refused with TOO_LARGE before it is proposed (proposal_queue.ts).
 */
const proposalBytesMax = recordSizeBytesMax + 64 * 1024;

type RaftMessageSizes = Pick<RaftConfig,
  "proposalBytesMax" | "appendEntriesBytesMax" | "appendEntriesCountMax" | "snapshotChunkBytes">;

/**
 * What the driver's Raft core puts in one message (raft/config.ts says what each bounds). An
 * append carries at least one entry however large, so its budget is at least the largest
 * proposal; the entry count and the snapshot chunk keep the core's defaults.
 */
export const raftMessageSizes: RaftMessageSizes = {
  proposalBytesMax,
  appendEntriesBytesMax: proposalBytesMax,
  appendEntriesCountMax: defaultRaftConfig.appendEntriesCountMax,
  snapshotChunkBytes: defaultRaftConfig.snapshotChunkBytes,
};

/**
 * Every append and snapshot chunk a core with `sizes` sends fits one peer frame of
 * `frameSizeBytesMax` (peer_codec.ts bounds a frame by what it carries). A larger frame would be
 * dropped by the sending transport (the peer refuses it), and Raft would send the same message
 * again and again: that follower would never catch up.
 */
export function checkRaftSizesFitPeerFrame(sizes: RaftMessageSizes, frameSizeBytesMax: number): void {
  assert(sizes.proposalBytesMax <= sizes.appendEntriesBytesMax, "an append must carry the largest proposal whole");
  const append = appendFrameBytesMax(sizes.appendEntriesBytesMax, sizes.appendEntriesCountMax);
  if (append > frameSizeBytesMax) {
    fail(`an append of ${sizes.appendEntriesCountMax} entries and ${sizes.appendEntriesBytesMax} bytes takes up to `
      + `${append} bytes, over the ${frameSizeBytesMax}-byte peer frame: it would be dropped and the follower stall`);
  }
  const chunk = snapshotFrameBytesMax(sizes.snapshotChunkBytes, groupMembersMax);
  if (chunk > frameSizeBytesMax) {
    fail(`a snapshot chunk of ${sizes.snapshotChunkBytes} bytes takes up to ${chunk} bytes, over the `
      + `${frameSizeBytesMax}-byte peer frame: it would be dropped and the follower stall`);
  }
}

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
checkRaftSizesFitPeerFrame(raftMessageSizes, peerFrameSizeBytesMax);
