/**
 * Opening durable Raft storage: read the hard state and the snapshot, open the log, make the
 * log agree with the snapshot, and rebuild the term runs from the records.
 *
 * The log agrees with a snapshot at (index s, term t) when it starts right after s, or holds
 * s with term t (entries after it then match the leader's by the Log Matching property).
 * Otherwise a crash came between writing a received snapshot and resetting the log; the log
 * is then reset to start at s + 1, which is what that persist was doing.
 */
import fs from "node:fs";
import path from "node:path";
import { SegmentedLog } from "../../log/segmented_log.ts";
import type { ConfState, HardState, Snapshot } from "../raft/types.ts";
import { decodeEntryTerm, EntryFormatError } from "./raft_entry_format.ts";
import { HardStateFile } from "./hard_state_file.ts";
import { readSnapshotFile, writeSnapshotFile } from "./snapshot_file.ts";
import { hardStateFileName, logFolderName, snapshotFileName } from "./storage_constants.ts";
import { TermRuns } from "./term_runs.ts";
import { silentLogger } from "../../util/logger.ts";
import { formatNodeId } from "../node_id.ts";
import { RaftStorageCorruptError, type RaftDiskStorageOptions } from "./types.ts";

interface RecoveredStorage {
  log: SegmentedLog;
  hardStateFile: HardStateFile;
  hardState: HardState;
  snapshot: Snapshot;
  terms: TermRuns;
}

export async function recoverStorage(dir: string, options: RaftDiskStorageOptions, initialConfState: ConfState): Promise<RecoveredStorage> {
  const durable = options.fsync !== "unsafe-no-fsync";
  fs.mkdirSync(dir, { recursive: true });
  const snapshotPath = path.join(dir, snapshotFileName);
  const freshStore = !fs.existsSync(snapshotPath);
  const snapshot = readSnapshotFile(snapshotPath, initialConfState);
  // The starting membership is stored at once, so a restart never depends on flags again.
  if (freshStore) writeSnapshotFile(snapshotPath, snapshot, durable);
  const { file: hardStateFile, hardState } = HardStateFile.open(path.join(dir, hardStateFileName), durable);
  const log = await SegmentedLog.open({
    dir: path.join(dir, logFolderName),
    fsync: options.fsync,
    segmentSizeBytes: options.segmentSizeBytes,
    onFsync: options.onFsync,
    logger: options.logger,
    // Every fdatasync off the event loop: while a leader's own write runs, its loop counts the
    // followers' acknowledgements and applies what they commit (replica/replica_driver.ts).
    backgroundSyncRecordsMin: 1,
  });
  try {
    const logger = options.logger ?? silentLogger;
    if (await reconcileLogWithSnapshot(log, snapshot)) {
      logger.warn("raft log reset to the snapshot (a crash came between storing a snapshot and resetting the log)", {
        dir, snapshot_index: snapshot.metadata.index,
      });
    }
    const terms = readTerms(log, snapshot);
    checkHardState(dir, hardState, snapshot, terms);
    // The commit index is volatile state in Raft (§3.8 lists term, vote and log as persistent),
    // so it is written without its own fsync and may lag; a snapshot only covers committed entries.
    const commit = Math.max(hardState.commit, snapshot.metadata.index);
    logger.info("raft storage recovered", {
      dir,
      term: hardState.term,
      vote: hardState.vote === 0 ? undefined : formatNodeId(hardState.vote),
      snapshot_index: snapshot.metadata.index,
      first_index: terms.anchorIndex() + 1,
      last_index: terms.lastIndex(),
      commit,
    });
    return { log, hardStateFile, hardState: { ...hardState, commit }, snapshot, terms };
  } catch (error) {
    await log.close();
    hardStateFile.close();
    throw error;
  }
}

/** Returns whether the log had to be reset. */
async function reconcileLogWithSnapshot(log: SegmentedLog, snapshot: Snapshot): Promise<boolean> {
  const { index, term } = snapshot.metadata;
  if (log.firstIndex() === index + 1) return false;
  if (index === 0) {
    throw new RaftStorageCorruptError(logFolderName, `log starts at ${log.firstIndex()} with no snapshot`);
  }
  const holdsIndex = log.firstIndex() <= index && index <= log.lastIndex();
  if (holdsIndex && termOfRecord(log, index) === term) return false;
  await log.resetTo(index + 1);
  return true;
}

/** Term runs from the anchor (the entry before the first readable one) to the last record. */
function readTerms(log: SegmentedLog, snapshot: Snapshot): TermRuns {
  const { index, term } = snapshot.metadata;
  const anchoredOnSnapshot = log.firstIndex() === index + 1;
  const anchorIndex = anchoredOnSnapshot ? index : log.firstIndex();
  const terms = new TermRuns(anchorIndex, anchoredOnSnapshot ? term : termOfRecord(log, anchorIndex));
  for (let position = anchorIndex + 1; position <= log.lastIndex(); position++) terms.push(position, termOfRecord(log, position));
  return terms;
}

function termOfRecord(log: SegmentedLog, index: number): number {
  try {
    return decodeEntryTerm(index, log.read(index));
  } catch (error) {
    if (error instanceof EntryFormatError) throw new RaftStorageCorruptError(logFolderName, error.message);
    throw error;
  }
}

function checkHardState(dir: string, hardState: HardState, snapshot: Snapshot, terms: TermRuns): void {
  const file = path.join(dir, hardStateFileName);
  if (hardState.commit > terms.lastIndex()) {
    throw new RaftStorageCorruptError(file, `commit ${hardState.commit} beyond the last entry ${terms.lastIndex()}`);
  }
  if (hardState.term < snapshot.metadata.term || hardState.term < terms.termAt(terms.lastIndex())) {
    throw new RaftStorageCorruptError(file, `term ${hardState.term} below a stored entry's term`);
  }
}
