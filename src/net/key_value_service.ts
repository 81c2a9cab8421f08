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
 * "TOO_LARGE"); its message goes to the client. ServiceError below is one such error.
 * Anything else is answered INTERNAL without details.
 */
import type { Command, CommandResult, Entry, FoundValue, ScanOptions, ScanPage } from "../engine/types";
import type { ConsistencyLevel, TraceContext } from "./messages";
import type { StatusName } from "../wire/status";

export interface ReadContext {
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
export interface WriteContext {
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
}

export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(readonly code: StatusName, message: string, readonly leaderHint = "") {
    super(message);
  }
}
