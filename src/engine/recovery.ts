/**
 * Rebuilds the engine's state at open: the last valid checkpoint, then the log after it.
 * A checkpoint that is damaged, of another format, or points outside the log's readable
 * records is ignored and the whole log is replayed instead (see replay.ts for why that is
 * always correct); the outcome says which happened.
 */
import type { AppendLog } from "../log/types.ts";
import type { Logger } from "../util/logger.ts";
import { decodeCheckpoint, readCheckpointFile, type CheckpointContents } from "./checkpoint.ts";
import { KeyIndex } from "./key_index.ts";
import { ReplayState } from "./replay.ts";

type CheckpointOutcome = "loaded" | "absent" | "invalid";

export interface EngineRecoveryReport {
  checkpoint: CheckpointOutcome;
  /** Log records replayed after the checkpoint (or from the log's start). */
  recordsReplayed: number;
  durationMilliseconds: number;
}

export async function recoverEngineState(
  log: AppendLog,
  directory: string,
): Promise<{ state: ReplayState; report: EngineRecoveryReport }> {
  const started = performance.now();
  const bytes = await readCheckpointFile(directory);
  const contents = bytes === null ? null : decodeCheckpoint(bytes);
  const usable = contents !== null && checkpointFitsLog(contents, log.firstIndex(), log.lastIndex());
  const checkpoint: CheckpointOutcome = bytes === null ? "absent" : usable ? "loaded" : "invalid";
  const state = usable
    ? new ReplayState(contents.index, contents.revision, contents.raftIndex)
    : new ReplayState(new KeyIndex(), 0, 0);
  const from = usable ? contents.coveredLogIndex + 1 : log.firstIndex();
  let recordsReplayed = 0;
  for (const { index, payload } of log.readRange(from, log.lastIndex())) {
    state.applyRecord(index, payload);
    recordsReplayed += 1;
  }
  return { state, report: { checkpoint, recordsReplayed, durationMilliseconds: performance.now() - started } };
}

/** One line: where the state came from and how much was replayed; a warning when a checkpoint was unusable. */
export function logEngineRecovery(logger: Logger, dir: string, report: EngineRecoveryReport, keys: number): void {
  if (report.checkpoint === "invalid") logger.warn("checkpoint unusable: the whole log was replayed", { dir });
  logger.info("engine recovered", {
    dir,
    checkpoint: report.checkpoint,
    records_replayed: report.recordsReplayed,
    keys,
    duration_ms: Math.round(report.durationMilliseconds),
  });
}

/** A checkpoint is usable only when the log (firstIndex..lastIndex) still holds every record it covers or points at. */
export function checkpointFitsLog(contents: CheckpointContents, firstIndex: number, lastIndex: number): boolean {
  if (contents.coveredLogIndex < firstIndex - 1 || contents.coveredLogIndex > lastIndex) return false;
  if (contents.index.size === 0) return true;
  return contents.logIndexMin >= firstIndex && contents.logIndexMax <= contents.coveredLogIndex;
}
