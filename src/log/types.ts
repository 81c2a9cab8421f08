/**
 * Contract of the segmented append-only log (src/log/). Records are opaque byte payloads
 * numbered by a dense, 1-based, monotonically increasing index. The log knows nothing of
 * keys or Raft: Raft entries and engine commands are both just payloads to it.
 */
import type { Logger } from "../util/logger.ts";

/**
 * When an append is acknowledged.
 * - `always`: the append's promise resolves only after fdatasync covered its bytes (default).
 *   Concurrent appends share one fdatasync (group commit).
 * - `batch`: fdatasync at most `batchDelayMs` after the first unsynced append; the promise
 *   still resolves only after that sync.
 * - `unsafe-no-fsync`: never fdatasync; an OS crash may lose acknowledged appends. Only for
 *   tests and benchmarks, and named so loudly on purpose.
 */
export type FsyncMode = "always" | "batch" | "unsafe-no-fsync";

export interface LogOptions {
  /** Folder holding the segment files; created when missing. */
  dir: string;
  /** Where open() reports what recovery found (recovery_log.ts); silent when absent. */
  logger?: Logger;
  fsync?: FsyncMode;
  /** With fsync `batch`: the longest an append waits for its fdatasync. */
  batchDelayMs?: number;
  /** Segment files roll over at this size (a record never spans two segments). */
  segmentSizeBytes?: number;
  /** Called after every fdatasync with its duration, for the fsync latency metric. */
  onFsync?: (durationSeconds: number) => void;
  /**
   * With fsync `always`: records in one flush from which its fdatasync runs in the thread pool
   * instead of on the event loop (group_commit.ts). 1 sends every fdatasync there, for a caller
   * with work to do while the disk works (a Raft leader counting its followers' acknowledgements).
   */
  backgroundSyncRecordsMin?: number;
  /**
   * What open() does with damage other than a torn tail (a record failing its checksum, a sealed
   * segment whose framing is lost, a last segment whose header is unreadable): `report` (the
   * default) lists it in the recovery report, sets an unreadable last segment aside and opens;
   * `refuse` throws CorruptRecordError at the first find, before any file is changed (a torn tail
   * is still cut). For a reader that must replay every record, as the shared Raft log does: a
   * set-aside segment would otherwise be silently missing at the next open.
   */
  damage?: "report" | "refuse";
}

/** What recovery found when the log was opened. */
export interface RecoveryReport {
  segmentsScanned: number;
  recordsRecovered: number;
  /** What was cut from the last segment: a torn (partial or garbage) last write; null when it ended cleanly. */
  tornTail: TornTail | null;
  /** Records whose checksum failed before the tail: refused, never served. */
  corruptRecords: CorruptRecordInfo[];
  /** Last segments whose header was unreadable: renamed aside (kept for inspection), not used. */
  segmentsSetAside: SetAsideSegment[];
}

interface TornTail {
  file: string;
  /** Where the file now ends: the end of its last whole record. */
  offset: number;
  bytesCut: number;
}

interface SetAsideSegment {
  file: string;
  movedTo: string;
  reason: string;
}

export interface CorruptRecordInfo {
  file: string;
  offset: number;
  index: number | null;
  reason: string;
}

/** Thrown by reads of a record whose checksum does not match: its bytes are never returned. */
export class CorruptRecordError extends Error {
  override name = "CorruptRecordError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly index: number | null,
    reason: string,
  ) {
    super(`corrupt record in ${file} at offset ${offset}${index === null ? "" : ` (index ${index})`}: ${reason}`);
  }
}

/** Thrown by reads of an index outside [firstIndex, lastIndex]. */
export class IndexOutOfRangeError extends Error {
  override name = "IndexOutOfRangeError";
}

export interface AppendLog {
  /** Index of the oldest readable record; lastIndex + 1 when the log is empty. */
  firstIndex(): number;
  /** Index of the newest record; firstIndex - 1 when the log is empty. */
  lastIndex(): number;
  /**
   * Appends payloads as consecutive records. Resolves with the index of the last one once
   * they are durable under the log's fsync mode. Records are visible to reads at once.
   */
  append(payloads: Uint8Array[]): Promise<number>;
  /** The payload of one record as a view (no copy); valid until that record is truncated or compacted. */
  read(index: number): Uint8Array;
  /** Payloads of [from, toInclusive], in order, as views. */
  readRange(from: number, toInclusive: number): Iterable<{ index: number; payload: Uint8Array }>;
  /** Drops every record after `lastKept` (Raft conflict resolution). Durable on return. */
  truncateSuffix(lastKept: number): Promise<void>;
  /**
   * Drops whole segments whose records all precede `firstNeeded` (after a snapshot).
   * Records at or after `firstNeeded` stay readable; firstIndex() may stay below it.
   */
  compactPrefix(firstNeeded: number): Promise<void>;
  /**
   * Drops every record and makes `nextIndex` the index of the next append (after a Raft
   * snapshot is installed past the end of the log). Durable on return.
   */
  resetTo(nextIndex: number): Promise<void>;
  /** Forces everything appended so far to disk, whatever the fsync mode. */
  sync(): Promise<void>;
  close(): Promise<void>;
  /** Total bytes of all segment files. */
  sizeBytes(): number;
}
