/**
 * Contract of durable Raft storage, as the driver uses it. The read side is the core's
 * synchronous `Storage` (src/cluster/raft/storage.ts); the write side is asynchronous so a
 * Ready's fsync runs while the node keeps stepping (see raw_node.ts):
 *
 *   const ready = node.ready();
 *   await storage.persist(ready);          // snapshot, then entries, then hard state: durable
 *   const messages = node.advance(ready);  // only now may they leave
 *
 * Two implementations pass one conformance suite (test/cluster/storage/):
 * RaftDiskStorage (raft_disk_storage.ts, on src/log/ segment files) and MemoryRaftStorage
 * (memory_raft_storage.ts, for driver tests). persist() and compact() run one at a time in
 * call order (a compact() called while a persist() is in flight waits for it).
 */
import type { Storage } from "../raft/storage.ts";
import type { Entry, HardState, Snapshot } from "../raft/types.ts";
import type { FsyncMode } from "../../log/types.ts";
import type { Logger } from "../../util/logger.ts";

/** The persistent part of a Ready (a Ready is assignable to it). */
export interface PersistBatch {
  /** Written last, once the entries are durable, so its commit never points past them. */
  readonly hardState?: HardState | undefined;
  /** Appended after dropping any stored entry at or after entries[0].index. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: replaces the log up to its index. Written first. */
  readonly snapshot?: Snapshot | undefined;
}

export interface DurableRaftStorage extends Storage {
  /** Makes the batch durable (under the fsync mode); reads see it at once, even before it resolves. */
  persist(batch: PersistBatch): Promise<void>;
  /**
   * Records a state-machine snapshot taken by this node (snapshot.metadata.index <= applied;
   * term = this.term(index), confState = the membership at that index) and drops the entries
   * up to `throughIndex` (<= snapshot.metadata.index; lower keeps a tail for slow followers).
   * Durable on return.
   */
  compact(throughIndex: number, snapshot: Snapshot): Promise<void>;
  close(): Promise<void>;
  stats(): RaftStorageStats;
}

export interface RaftStorageStats {
  /** persist() calls that resolved. */
  persistCount: number;
  entriesAppended: number;
  /** Entries dropped because a leader overwrote them (conflicting suffix, §3.5). */
  entriesTruncated: number;
  hardStateWrites: number;
  snapshotsWritten: number;
  /** Reads of entries() served from the in-memory cache of recent entries. */
  entryCacheHits: number;
  entryCacheMisses: number;
  /** Bytes of the segment files holding the log. */
  logSizeBytes: number;
}

/** Counters of a storage that has done nothing yet (logSizeBytes is measured, not counted). */
export function zeroRaftStorageCounters(): Omit<RaftStorageStats, "logSizeBytes"> {
  return {
    persistCount: 0,
    entriesAppended: 0,
    entriesTruncated: 0,
    hardStateWrites: 0,
    snapshotsWritten: 0,
    entryCacheHits: 0,
    entryCacheMisses: 0,
  };
}

export interface RaftDiskStorageOptions {
  /** `always` for production; `unsafe-no-fsync` only in tests and benchmarks. */
  fsync: FsyncMode;
  /** Segment file size of the Raft log; the log's default when absent. */
  segmentSizeBytes?: number;
  /** Called after every fdatasync of the log with its duration (for metrics). */
  onFsync?: (durationSeconds: number) => void;
  /** Where opening reports what recovery found; silent when absent. */
  logger?: Logger;
}

/** The on-disk state could not be read back as written: never silently reset. */
export class RaftStorageCorruptError extends Error {
  override name = "RaftStorageCorruptError";
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`raft storage ${file}: ${reason}`);
  }
}
