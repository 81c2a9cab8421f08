/**
 * A read-only check of a Raft storage folder (raft_disk_storage.ts) for `filestore check`: the
 * log's segments, each entry's header decoded as start-up decodes it (raft_entry_format.ts), the
 * hard-state records (hard_state_file.ts) and the snapshot file (snapshot_file.ts), each judged
 * by the reader start-up uses. Nothing is written.
 */
import fs from "node:fs";
import path from "node:path";
import { inspectLog, reportLog } from "../../log/log_inspection.ts";
import { formatNodeId } from "../node_id.ts";
import type { InspectionReport } from "../../util/inspection_report.ts";
import { decodeEntryTerm, EntryFormatError } from "./raft_entry_format.ts";
import { hardStateRecordBytes, scanHardStateRecords } from "./hard_state_file.ts";
import { readSnapshotFile } from "./snapshot_file.ts";
import { hardStateFileName, logFolderName, snapshotFileName } from "./storage_constants.ts";
import { RaftStorageCorruptError } from "./types.ts";

export function inspectRaftFolder(dir: string, report: InspectionReport): void {
  reportLog(report, inspectLog(path.join(dir, logFolderName), entryProblem));
  inspectHardState(path.join(dir, hardStateFileName), report);
  inspectSnapshot(path.join(dir, snapshotFileName), report);
}

function entryProblem(index: number, payload: Uint8Array): string | null {
  try {
    decodeEntryTerm(index, payload);
    return null;
  } catch (error) {
    if (error instanceof EntryFormatError) return error.message;
    throw error;
  }
}

function inspectHardState(file: string, report: InspectionReport): void {
  if (!fs.existsSync(file)) {
    report.note(file, null, null, "missing: start-up begins with term 0 and no vote");
    return;
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  const scan = scanHardStateRecords(bytes);
  const { term, vote, commit } = scan.hardState;
  report.checked(file, "hard state", `${scan.validRecords} records, newest term ${term} vote ${vote} commit ${commit}`);
  for (const problem of scan.problems)
    report.damage(file, problem.offset, problem.position, `hard-state record ${problem.reason}`);
  const cutBytes = bytes.length - scan.validRecords * hardStateRecordBytes;
  if (cutBytes > 0) {
    const what = `torn tail of ${cutBytes} bytes: a write cut by a crash, never acknowledged; start-up cuts it`;
    report.note(file, scan.validRecords * hardStateRecordBytes, scan.validRecords, what);
  }
}

function inspectSnapshot(file: string, report: InspectionReport): void {
  if (!fs.existsSync(file)) {
    report.note(file, null, null, "missing: start-up takes the membership from its flags, as for a new node");
    return;
  }
  try {
    const snapshot = readSnapshotFile(file, { voters: [], learners: [] });
    const { index, term, confState } = snapshot.metadata;
    const members = `voters ${confState.voters.map(formatNodeId).join(",") || "none"}`;
    report.checked(file, "snapshot", `index ${index} term ${term}, ${members}, ${snapshot.data.length} bytes of state`);
  } catch (error) {
    if (!(error instanceof RaftStorageCorruptError)) throw error;
    report.checked(file, "snapshot", `${fs.statSync(file).size} bytes`);
    report.damage(file, null, null, error.reason);
  }
}
