/**
 * What the shared log (shared_log.ts, group_storage.ts, group_records.ts, wal_recovery.ts) needs
 * of the log its records go to: the segmented log of src/log/ (SegmentedLog implements it as it
 * is), or the deterministic simulator's log on a simulated disk (test/sim/simulated_record_log.ts),
 * so the real shared log, its group views and its recovery run in the simulator.
 *
 * The contract is SegmentedLog's (src/log/types.ts): records are numbered by a dense, 1-based
 * *location*; an appended record is readable at once and durable once a flush covered it; every
 * flushed() call made before a flush shares that flush's one write and one fdatasync (group
 * commit); a crash keeps a prefix of the records, every one a flush covered included, and a torn
 * last write is cut when the log is opened (reported in `recovery`).
 */
import type { RecoveryReport } from "../../log/types.ts";

export interface RecordLogStats {
  /** write calls that carried records (one per flush). */
  writeCount: number;
  /** fdatasync calls (one per flush). */
  fdatasyncCount: number;
  recordsAppended: number;
  bytesWritten: number;
  segmentCount: number;
}

export interface RecordLog {
  /** What opening the log found: segments scanned, records recovered, the torn tail cut. */
  readonly recovery: RecoveryReport;
  /** Location of the oldest readable record; lastIndex() + 1 when the log is empty. */
  firstIndex(): number;
  /** Location of the newest record; firstIndex() - 1 when the log is empty. */
  lastIndex(): number;
  /** The payload at `location` as a view, its checksum checked (CorruptRecordError otherwise). */
  read(location: number): Uint8Array;
  /**
   * Appends payloads as consecutive records, readable at once; neither waits for nor schedules
   * a flush. Returns the location of the last one.
   */
  appendWithoutWaiting(payloads: Uint8Array[]): number;
  /** Resolves once everything appended so far is durable; the calls of one turn share one flush. */
  flushed(): Promise<number>;
  /** Writes and fdatasyncs everything appended so far, now. */
  sync(): Promise<void>;
  /** Drops whole segments whose records all precede `firstNeeded`; durable on return. */
  compactPrefix(firstNeeded: number): Promise<void>;
  /** First location and size in bytes of every segment, oldest first; the last is the active one. */
  segmentSizes(): Array<{ firstIndex: number; sizeBytes: number }>;
  /** Bytes of all segments. */
  sizeBytes(): number;
  stats(): RecordLogStats;
  /** Flushes what was appended and closes the log. */
  close(): Promise<void>;
}
