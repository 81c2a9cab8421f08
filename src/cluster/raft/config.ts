/**
 * Tunables of one Raft node: a table (name, default, range, why) and a validator that
 * names the bad field. Time is counted in ticks: the driver decides how long a tick is
 * (e.g. 10 ms), the core never reads a clock.
 */
import { RaftConfigError } from "./errors.ts";
import type { NodeId } from "./types.ts";

export interface RaftConfig {
  /** This node's id (> 0). */
  id: NodeId;
  /**
   * A follower that hears nothing from a leader for a random time in
   * [electionTimeoutTicks, 2 * electionTimeoutTicks) campaigns (§3.4); a leader with
   * check-quorum steps down after this long without hearing from a majority (§6.2).
   */
  electionTimeoutTicks: number;
  /** A leader sends heartbeats this often; must be well below the election timeout (§3.4). */
  heartbeatIntervalTicks: number;
  /** Appends in flight to one follower in the replicate state (flow control, §10.2.1). */
  inflightAppendsMax: number;
  /** Entry bytes in one append message: bounds message size and a follower's write batch. */
  appendEntriesBytesMax: number;
  /** Entries in one append message: bounds a follower's write batch when entries are tiny. */
  appendEntriesCountMax: number;
  /** Entry bytes handed to the state machine in one Ready: bounds one apply batch. */
  committedEntriesBytesMax: number;
  /** Bytes of snapshot data in one InstallSnapshot chunk (§5.2), bounds message size. */
  snapshotChunkBytes: number;
  /** A single proposal larger than this is refused: it must fit an append message. */
  proposalBytesMax: number;
  /** ReadIndex requests waiting for a heartbeat quorum; beyond it callers get back-pressure. */
  readIndexQueueMax: number;
  /** A learner is promoted only when it is at most this many entries behind the leader (§4.2.1). */
  learnerPromotionLagEntriesMax: number;
  /**
   * A follower in the replicate state whose match has not moved over this many heartbeat
   * replies while appends are in flight is probed again: those appends were lost (the
   * network does not report losses, so the pipeline would otherwise wait forever).
   */
  replicateStallHeartbeats: number;
  /**
   * Serve ReadIndex requests from a leader lease when it holds, without a heartbeat round
   * (leader_lease.ts). Every voter must run with the same setting; needs checkQuorum.
   */
  leaseReads: boolean;
  /**
   * The stated clock-drift bound for lease reads: no node's tick clock runs more than this
   * many percent faster than another's. The lease lasts electionTimeoutTicks * 100 /
   * (100 + this) - 1 ticks.
   */
  clockDriftPercentMax: number;
  /** Campaign only after a pre-vote round shows a majority would vote (§9.6). */
  preVote: boolean;
  /** A leader steps down when a majority has not answered within an election timeout (§6.2). */
  checkQuorum: boolean;
}

interface FieldRule {
  name: keyof RaftConfig;
  min: number;
  max: number;
}

const mebibyteBytes = 1024 * 1024;

export const defaultRaftConfig: Omit<RaftConfig, "id"> = {
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  inflightAppendsMax: 256,
  appendEntriesBytesMax: mebibyteBytes,
  appendEntriesCountMax: 4096,
  committedEntriesBytesMax: 4 * mebibyteBytes,
  snapshotChunkBytes: mebibyteBytes,
  proposalBytesMax: mebibyteBytes,
  readIndexQueueMax: 4096,
  learnerPromotionLagEntriesMax: 1000,
  replicateStallHeartbeats: 3,
  leaseReads: false,
  clockDriftPercentMax: 10,
  preVote: true,
  checkQuorum: true,
};

/** Ranges: node ids fit the u32 of a config entry; sizes stay below 1 GiB so one message stays sane. */
const fieldRules: FieldRule[] = [
  { name: "id", min: 1, max: 0xffffffff },
  { name: "electionTimeoutTicks", min: 2, max: 1_000_000 },
  { name: "heartbeatIntervalTicks", min: 1, max: 1_000_000 },
  { name: "inflightAppendsMax", min: 1, max: 1_000_000 },
  { name: "appendEntriesBytesMax", min: 1, max: 1024 * mebibyteBytes },
  { name: "appendEntriesCountMax", min: 1, max: 1_000_000 },
  { name: "committedEntriesBytesMax", min: 1, max: 1024 * mebibyteBytes },
  { name: "snapshotChunkBytes", min: 1, max: 1024 * mebibyteBytes },
  { name: "proposalBytesMax", min: 1, max: 1024 * mebibyteBytes },
  { name: "readIndexQueueMax", min: 1, max: 1_000_000 },
  { name: "learnerPromotionLagEntriesMax", min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: "replicateStallHeartbeats", min: 1, max: 1_000_000 },
  { name: "clockDriftPercentMax", min: 0, max: 10_000 },
];

export function makeRaftConfig(id: NodeId, overrides: Partial<Omit<RaftConfig, "id">> = {}): RaftConfig {
  const config: RaftConfig = { ...defaultRaftConfig, ...overrides, id };
  validateRaftConfig(config);
  return config;
}

export function validateRaftConfig(config: RaftConfig): void {
  for (const rule of fieldRules) {
    const value = config[rule.name];
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new RaftConfigError(rule.name, `must be an integer, got ${String(value)}`);
    }
    if (value < rule.min || value > rule.max) {
      throw new RaftConfigError(rule.name, `must be in [${rule.min}, ${rule.max}], got ${value}`);
    }
  }
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    throw new RaftConfigError("heartbeatIntervalTicks", "must be below electionTimeoutTicks");
  }
  if (config.leaseReads && !config.checkQuorum) {
    throw new RaftConfigError("leaseReads", "needs checkQuorum: followers must ignore votes while they hear from a leader");
  }
  if (config.proposalBytesMax > config.appendEntriesBytesMax) {
    throw new RaftConfigError("proposalBytesMax", "must not exceed appendEntriesBytesMax");
  }
}

/**
 * Deliberate safety bugs, for the simulator's mutation checks only: each must be caught.
 * Never set outside tests.
 */
export interface UnsafeMutations {
  /** Commit an entry of an earlier term by counting replicas (the Figure 3.7 bug, §3.6.2). */
  commitPriorTermByCounting?: boolean;
  /** Forget the vote cast in the current term on restart, as if it was never persisted (§3.8). */
  forgetVoteOnRestart?: boolean;
  /** Grant votes without the "candidate's log is at least as up to date" check (§3.6.1). */
  grantVoteWithoutLogCheck?: boolean;
  /** Count the leader's own entries towards commit when appended, before they are durable (§10.2.1). */
  countLeaderBeforePersist?: boolean;
}
