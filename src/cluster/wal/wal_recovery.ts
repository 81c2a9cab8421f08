/**
 * Opening the shared log: the recovery scan of wal_record_format.ts. Opens the segment log
 * (damage `refuse`: a torn tail is cut and reported, anything else refuses the open), replays
 * every record into its group's state, checks each group, and removes snapshot files no group
 * names. Never serves a record that failed a check: the open fails with a typed error instead
 * (CorruptRecordError for a checksum, RaftStorageCorruptError for anything else), which start-up
 * reports as damage. The part after the segment log is open (recoverGroups) runs over any record
 * log (record_log.ts) and snapshot store: the simulator's too (test/sim/).
 */
import fs from "node:fs";
import path from "node:path";
import type { FsyncMode, RecoveryReport } from "../../log/types.ts";
import { SegmentedLog } from "../../log/segmented_log.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { RaftStorageCorruptError } from "../storage/types.ts";
import { GroupState } from "./group_state.ts";
import type { RecordLog } from "./record_log.ts";
import { folderSnapshotFiles, SnapshotStore } from "./snapshot_store.ts";
import { backgroundSyncRecordsMinShared, logFolderName, snapshotFolderName } from "./wal_constants.ts";
import { decodeWalRecord, type WalRecord } from "./wal_record_format.ts";

export interface SharedLogOptions {
  /** Folder of the shared log; created when missing. */
  dir: string;
  /** `always` for production; `unsafe-no-fsync` only in tests and benchmarks. */
  fsync: FsyncMode;
  /** Segment file size; the log's default when absent. */
  segmentSizeBytes?: number;
  /** Called after every fdatasync of the log with its duration (for metrics). */
  onFsync?: (durationSeconds: number) => void;
  /** Where opening reports what recovery found; silent when absent. */
  logger?: Logger;
  /** Records in a flush from which its fdatasync runs in the thread pool (src/log/group_commit.ts). */
  backgroundSyncRecordsMin?: number;
  /** Dates unfinished writes (SharedLog.unfinishedWriteSinceMs): the node's clock; realClock when absent. */
  clock?: Clock;
}

/** What the open found. */
export interface SharedLogRecovery {
  /** The segment log's own report: segments scanned, records, the torn tail cut. */
  log: RecoveryReport;
  groups: number;
  /** Snapshot files no group names (left by a crash), removed. */
  snapshotFilesRemoved: string[];
}

interface RecoveredSharedLog {
  log: SegmentedLog;
  snapshots: SnapshotStore;
  groups: Map<number, GroupState>;
  recovery: SharedLogRecovery;
}

export async function recoverSharedLog(options: SharedLogOptions): Promise<RecoveredSharedLog> {
  fs.mkdirSync(options.dir, { recursive: true });
  const log = await SegmentedLog.open({
    dir: path.join(options.dir, logFolderName),
    fsync: options.fsync,
    segmentSizeBytes: options.segmentSizeBytes,
    onFsync: options.onFsync,
    logger: options.logger,
    backgroundSyncRecordsMin: options.backgroundSyncRecordsMin ?? backgroundSyncRecordsMinShared,
    damage: "refuse",
  });
  try {
    const durable = options.fsync !== "unsafe-no-fsync";
    const snapshots = new SnapshotStore(folderSnapshotFiles(path.join(options.dir, snapshotFolderName), durable));
    const { groups, recovery } = recoverGroups(log, snapshots, options.dir, options.logger);
    return { log, snapshots, groups, recovery };
  } catch (error) {
    await log.close();
    throw error;
  }
}

/**
 * The recovery after the segment log is open (its torn tail already cut): replays every record
 * of `log` into its group's state, checks each group, and removes the snapshot files no group
 * names. `dir` names the shared log in errors and reports (its folder, or a simulated disk's
 * name); `logger` gets the report when given.
 */
export function recoverGroups(
  log: RecordLog,
  snapshots: SnapshotStore,
  dir: string,
  logger?: Logger,
): { groups: Map<number, GroupState>; recovery: SharedLogRecovery } {
  const groups = replay(log, path.join(dir, logFolderName));
  for (const group of groups.values()) checkGroup(group, snapshots);
  const keep = new Set([...groups.values()].map((group) => `${group.groupId}-${group.snapshot.fileSequence}`));
  const snapshotFilesRemoved = snapshots.removeAllBut(keep);
  const recovery = { log: log.recovery, groups: groups.size, snapshotFilesRemoved };
  if (logger !== undefined) logRecovery(logger, dir, log, groups, recovery);
  return { groups, recovery };
}

/** Every record, oldest first, applied to its group's state (the replay rules of wal_record_format.ts). */
function replay(log: RecordLog, logDir: string): Map<number, GroupState> {
  const groups = new Map<number, GroupState>();
  for (let location = log.firstIndex(); location <= log.lastIndex(); location++) {
    const record = decodeWalRecord(log.read(location));
    if (typeof record === "string") throw new RaftStorageCorruptError(`${logDir} record ${location}`, record);
    applyRecord(groups, record, location);
  }
  return groups;
}

/** One record applied to its group's state (replay; also the simulator's model of what a disk holds). */
export function applyRecord(groups: Map<number, GroupState>, record: WalRecord, location: number): void {
  if (record.kind === "groupRemoved") {
    groups.delete(record.groupId);
    return;
  }
  let group = groups.get(record.groupId);
  if (group === undefined) {
    group = new GroupState(record.groupId);
    groups.set(record.groupId, group);
  }
  if (record.kind === "entries") group.applyEntries(record.firstIndex, record.entries, record.commit, location, true);
  else if (record.kind === "hardState") group.applyHardState(record.hardState, location);
  else group.applySnapshot(record.snapshot, location);
}

/** A group as replayed must be whole and consistent; its commit is raised to its snapshot's index. */
function checkGroup(group: GroupState, snapshots: SnapshotStore): void {
  const where = `shared log group ${group.groupId}`;
  const corrupt = (reason: string) => new RaftStorageCorruptError(where, reason);
  if (!group.hasSnapshotRecord()) throw corrupt("no snapshot record: the group's start is missing");
  const table = group.entries;
  if (!table.isAnchored()) {
    throw corrupt(`entries ${table.anchorIndex() + 1}..${table.firstStoredIndex() - 1} missing after the anchor`);
  }
  const { index, term, fileSequence } = group.snapshot;
  const last = table.lastIndex();
  if (index > last) throw corrupt(`snapshot ${index} past the last entry ${last}`);
  if (table.termAt(index) !== term) {
    throw corrupt(`snapshot ${index}@${term} differs from the log's term ${table.termAt(index)}`);
  }
  const { hardState } = group;
  if (hardState.commit > last) throw corrupt(`commit ${hardState.commit} beyond the last entry ${last}`);
  if (hardState.term < term || hardState.term < table.termAt(last)) {
    throw corrupt(`term ${hardState.term} below a stored entry's term`);
  }
  if (fileSequence !== 0 && !snapshots.exists(group.groupId, fileSequence)) {
    throw new RaftStorageCorruptError(snapshots.filePath(group.groupId, fileSequence), "snapshot file missing");
  }
  snapshots.advancePast(fileSequence);
  // The commit index is volatile in Raft (§3.8) and written without an fdatasync of its own; a
  // snapshot covers only committed entries.
  group.hardState = { ...hardState, commit: Math.max(hardState.commit, index) };
}

function logRecovery(
  logger: Logger,
  dir: string,
  log: RecordLog,
  groups: Map<number, GroupState>,
  recovery: SharedLogRecovery,
): void {
  logger.info("shared log recovered", {
    dir, groups: groups.size, first_record: log.firstIndex(), last_record: log.lastIndex(),
    segments: log.segmentSizes().length,
  });
  if (recovery.snapshotFilesRemoved.length > 0) {
    logger.info("snapshot files no group names removed", { dir, files: recovery.snapshotFilesRemoved.length });
  }
  if (!logger.enabled("debug")) return;
  for (const group of groups.values()) {
    logger.debug("group recovered", {
      group: group.groupId, term: group.hardState.term, snapshot_index: group.snapshot.index,
      first_index: group.firstIndex(), last_index: group.lastIndex(), commit: group.hardState.commit,
    });
  }
}
