/**
 * What the client-port server needs from the node behind it. The storage engine
 * (src/engine/engine.ts) satisfies it directly on a single node; the cluster layer will put
 * routing and Raft behind the same shape.
 *
 * Keys, values and bounds handed to get, scan and apply are views into the receive buffer,
 * valid only until the call returns (for apply: until its synchronous part ends, i.e. before
 * its first await). An implementation copies or encodes what it keeps before then; the engine
 * does so when it evaluates the command and encodes its log record. Entries returned are read
 * at once (encoded into the reply) and may be views into storage.
 *
 * Failures: throw an error whose `code` is a wire status name (e.g. "NOT_LEADER",
 * "TOO_LARGE"); its message goes to the client. ServiceError below is one such error;
 * WrongShardError carries the descriptors a WRONG_SHARD reply needs. Anything else is answered
 * INTERNAL without details.
 *
 * Routing (a sharded node; schemas/filestore.fbs, Envelope.shard): every context says which
 * shard, at which epoch, the client routed the request to, 0 and 0 when it was not routed. A
 * service that is not sharded holds every key and ignores them (today's single node and single
 * group). A sharded one serves a request only for a shard it holds, at the epoch named, with the
 * key (a scan: the shard named) in it, and otherwise throws WrongShardError (nothing applied);
 * a scan naming a shard returns that shard's keys only. It answers ShardMapRequest through
 * shardMap(); without that method the server answers "not sharded".
 */
import type { Command, CommandResult, Entry, FoundValue, ScanOptions, ScanPage } from "../engine/types";
import type { ClusterNodeValue, ConsistencyLevel, ShardDescriptorValue, ShardMapValue, TraceContext } from "./messages";
import type { StatusName } from "../wire/status";

/** Where the client routed a request; the server fills both (0 and 0: not routed). Absent reads as 0. */
interface Routing {
  /** The shard named by the request; 0: not routed. */
  shard?: number;
  /** That shard's epoch in the client's map: 1..2^53 with a shard, 0 without. */
  shardEpoch?: number;
}

export interface ReadContext extends Routing {
  consistency: ConsistencyLevel;
  /** With "bounded" consistency. */
  maxStalenessMs: number;
  /** performance.now() after which the client no longer waits; Infinity when none was given. */
  deadlineAtMs: number;
  trace: TraceContext | null;
}

/**
 * Facts about a write for services that replicate it: its deadline, and the client's
 * (session, sequence) identity, so a replicated service can deduplicate a resend in its state
 * machine (a resend may reach another node after a failover).
 */
export interface WriteContext extends Routing {
  /** performance.now() after which the client no longer waits; Infinity when none was given. */
  deadlineAtMs: number;
  /** With sequence > 0: the identity of the write. */
  sessionId: Uint8Array | null;
  sequence: number;
  /** The lowest sequence of the session the client still waits for (Request.oldestPendingSequence); 0 when not given. */
  oldestPendingSequence: number;
}

export interface KeyValueService {
  get(key: Uint8Array, context: ReadContext): Entry | null | Promise<Entry | null>;
  /**
   * Optional: get() of the key held in bytes[start, end), for a service that can look a key up
   * without a view of it (the engine). The server uses it for every get when it is there.
   */
  getAt?(bytes: Uint8Array, start: number, end: number, context: ReadContext): FoundValue | null | Promise<FoundValue | null>;
  scan(options: ScanOptions, context: ReadContext): ScanPage | Promise<ScanPage>;
  apply(command: Command): Promise<CommandResult>;
  /**
   * Optional: apply with the write's deadline and identity. A service that has it deduplicates
   * identified writes itself; the server then calls it instead of apply() for every write.
   */
  applyWithContext?(command: Command, context: WriteContext): Promise<CommandResult>;
  /**
   * Optional: the shard map and the nodes it names, for a ShardMapRequest (any node answers it,
   * so a client finds the whole cluster from one address). null, or no such method: this node
   * is not sharded.
   */
  shardMap?(): ShardMapValue | null | Promise<ShardMapValue | null>;
}

export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(readonly code: StatusName, message: string, readonly leaderHint = "") {
    super(message);
  }
}

/**
 * WRONG_SHARD: this node does not serve the request's key (or scan) at the shard and epoch it was
 * routed by; nothing was applied. `shards` are the descriptors covering the key as this node knows
 * them and `nodes` the nodes they name (their client addresses), for the client to patch its map
 * with; both empty when the node knows nothing newer, and the client then fetches the whole map.
 */
export class WrongShardError extends ServiceError {
  override name = "WrongShardError";
  constructor(
    message: string, readonly shards: readonly ShardDescriptorValue[], readonly nodes: readonly ClusterNodeValue[],
  ) {
    super("WRONG_SHARD", message);
  }
}
