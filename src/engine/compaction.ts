/**
 * Space reclamation. The log only grows: overwritten and deleted values stay in old
 * segments. Compaction picks a boundary (the log's end when it starts), copies every live
 * value still below it forward to the log head in relocation records (same key, value and
 * version, so visible state never changes), makes a checkpoint that points at the new copies,
 * then drops the segments below the boundary with log.compactPrefix.
 *
 * It runs in small steps and yields to the event loop between them, each step bounded by
 * maintenanceStepPauseMillisecondsMax and compactionRecordBytesMax, so reads and writes go
 * on meanwhile. Writes during a run are safe: the walk is over an O(1) picture of the index
 * and relocates an entry only while it is still the live one, and each step's reads, append
 * and index updates happen in one synchronous stretch.
 */
import { assert } from "../util/assert.ts";
import { appendRecord, readValue, type EngineState } from "./engine_state.ts";
import type { IndexEntry } from "./key_index.ts";
import { stringToKey } from "./key_string.ts";
import { compactionRecordBytesMax, compactionStepEntriesMax, maintenanceEntriesPerClockCheck, maintenanceStepPauseMillisecondsMax } from "./limits.ts";
import { encodeRecord, operationBytes, OperationKind, RecordKind, recordHeaderBytes, type RecordOperation } from "./record_codec.ts";
import { yieldToEventLoop } from "./yield.ts";

export interface CompactionReport {
  logBytesBefore: number;
  logBytesAfter: number;
  /** Live values copied forward. */
  entriesRelocated: number;
  /** Relocation records appended. */
  recordsWritten: number;
  /** Records below this index were candidates for removal. */
  boundaryLogIndex: number;
  /** The longest synchronous stretch of one step: how long a read or write may have waited. */
  longestStepMilliseconds: number;
  durationMilliseconds: number;
  /** False when the run stopped early (engine closing); nothing was dropped then. */
  completed: boolean;
}

interface CompactionHooks {
  /** Asked between steps; true ends the run early without dropping anything. */
  shouldStop(): boolean;
  /** Writes a checkpoint of the current state (the caller holds the maintenance lock). */
  writeCheckpoint(): Promise<void>;
}

export async function compactLog(state: EngineState, hooks: CompactionHooks): Promise<CompactionReport> {
  const started = performance.now();
  const report: CompactionReport = {
    logBytesBefore: state.log.sizeBytes(),
    logBytesAfter: 0,
    entriesRelocated: 0,
    recordsWritten: 0,
    boundaryLogIndex: state.log.lastIndex() + 1,
    longestStepMilliseconds: 0,
    durationMilliseconds: 0,
    completed: false,
  };
  const liveEntries = state.index.values();
  let finished = false;
  while (!finished) {
    if (hooks.shouldStop()) return finish(state, report, started);
    const stepStarted = performance.now();
    const step = relocateStep(state, liveEntries, report.boundaryLogIndex, stepStarted);
    finished = step.finished;
    report.longestStepMilliseconds = Math.max(report.longestStepMilliseconds, performance.now() - stepStarted);
    if (step.durable === null) {
      await yieldToEventLoop();
      continue;
    }
    report.entriesRelocated += step.relocated;
    report.recordsWritten += 1;
    await step.durable;
  }
  await state.log.sync();
  await hooks.writeCheckpoint();
  state.recentRecords.clear();
  await state.log.compactPrefix(report.boundaryLogIndex);
  report.completed = true;
  return finish(state, report, started);
}

function isLive(state: EngineState, entry: IndexEntry): boolean {
  return state.index.entryOf(entry.keyString) === entry;
}

function finish(state: EngineState, report: CompactionReport, started: number): CompactionReport {
  report.logBytesAfter = state.log.sizeBytes();
  report.durationMilliseconds = performance.now() - started;
  return report;
}

/** One bounded step: collects live entries below the boundary and relocates them in one record. */
function relocateStep(
  state: EngineState,
  liveEntries: IterableIterator<IndexEntry>,
  boundaryLogIndex: number,
  stepStarted: number,
): { finished: boolean; relocated: number; durable: Promise<void> | null } {
  const entries: Array<{ entry: IndexEntry; key: Uint8Array }> = [];
  const operations: RecordOperation[] = [];
  let recordBytes = recordHeaderBytes;
  let visited = 0;
  let finished = false;
  while (recordBytes < compactionRecordBytesMax && entries.length < compactionStepEntriesMax) {
    if (++visited % maintenanceEntriesPerClockCheck === 0 && performance.now() - stepStarted > maintenanceStepPauseMillisecondsMax) break;
    const next = liveEntries.next();
    if (next.done === true) {
      finished = true;
      break;
    }
    const entry = next.value;
    // The walk is over a picture taken at the start: skip entries written since (already past
    // the boundary) and entries overwritten or deleted since (no longer live).
    if (entry.logIndex >= boundaryLogIndex || !isLive(state, entry)) continue;
    const value = readValue(state, entry);
    const key = stringToKey(entry.keyString);
    entries.push({ entry, key });
    operations.push({ operation: OperationKind.set, key, value, version: entry.version });
    recordBytes += operationBytes(key, value);
  }
  if (operations.length === 0) return { finished, relocated: 0, durable: null };
  const header = { kind: RecordKind.apply, revision: state.revision, raftIndex: state.raftIndex };
  const { payload, valueOffsets } = encodeRecord(header, operations);
  const { logIndex, durable } = appendRecord(state, payload);
  entries.forEach(({ entry }, position) => {
    assert(isLive(state, entry), "entry changed inside a synchronous compaction step");
    state.index.set({ ...entry, logIndex, valueOffset: valueOffsets[position], value: null });
  });
  return { finished, relocated: entries.length, durable };
}
