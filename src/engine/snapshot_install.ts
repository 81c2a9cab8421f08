/**
 * Installs a snapshot stream (snapshot.ts) in place of the current state, crash-safely: a
 * begin record, the entries as staged records, and an end record go to the log; only the end
 * record makes them live (see replay.ts), so a crash or a bad chunk midway leaves the old
 * state. Once the end is durable, a checkpoint is written and the log's older prefix dropped.
 */
import { appendRecord, type EngineState } from "./engine_state.ts";
import { EngineError } from "./errors.ts";
import { KeyIndex } from "./key_index.ts";
import { indexOperations } from "./replay.ts";
import { ChunkKind, decodeSnapshotChunk, type SnapshotEntry } from "./snapshot.ts";
import { encodeRecord, operationBytes, OperationKind, RecordKind, recordHeaderBytes } from "./record_codec.ts";
import { validateKey } from "./validation.ts";
import { recordSizeBytesMax, valueSizeBytesMax } from "./limits.ts";

export interface InstallReport {
  entriesInstalled: number;
  revision: number;
  raftIndex: number;
}

interface InstallProgress {
  header: { revision: number; raftIndex: number; totalEntries: number } | null;
  ended: boolean;
  staging: KeyIndex;
  entriesSeen: number;
  beginLogIndex: number;
}

export async function installSnapshotChunks(
  state: EngineState,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  writeCheckpoint: () => Promise<void>,
): Promise<InstallReport> {
  const progress: InstallProgress = { header: null, ended: false, staging: new KeyIndex(), entriesSeen: 0, beginLogIndex: 0 };
  for await (const chunk of chunks) await installChunk(state, progress, chunk);
  const header = progress.header;
  if (header === null || !progress.ended) throw new EngineError("INVALID_REQUEST", "snapshot stream ended before its end chunk");
  const endRecord = encodeRecord({ kind: RecordKind.installEnd, revision: header.revision, raftIndex: header.raftIndex }, []);
  await appendRecord(state, endRecord.payload).durable;
  state.index = progress.staging;
  state.revision = header.revision;
  state.raftIndex = header.raftIndex;
  await writeCheckpoint();
  state.recentRecords.clear();
  await state.log.compactPrefix(progress.beginLogIndex);
  return { entriesInstalled: progress.entriesSeen, revision: header.revision, raftIndex: header.raftIndex };
}

async function installChunk(state: EngineState, progress: InstallProgress, chunk: Uint8Array): Promise<void> {
  const decoded = decodeSnapshotChunk(chunk);
  if (progress.ended) throw new EngineError("INVALID_REQUEST", "snapshot chunk after the end chunk");
  if (decoded.kind === ChunkKind.header) {
    if (progress.header !== null) throw new EngineError("INVALID_REQUEST", "second snapshot header chunk");
    if (!isCount(decoded.revision) || !isCount(decoded.raftIndex) || !isCount(decoded.totalEntries)) {
      throw new EngineError("INVALID_REQUEST", "snapshot header with a bad revision, raft index or entry count");
    }
    progress.header = decoded;
    const begin = encodeRecord({ kind: RecordKind.installBegin, revision: state.revision, raftIndex: state.raftIndex }, []);
    const appended = appendRecord(state, begin.payload);
    progress.beginLogIndex = appended.logIndex;
    await appended.durable;
    return;
  }
  if (progress.header === null) throw new EngineError("INVALID_REQUEST", "snapshot chunk before the header chunk");
  if (decoded.kind === ChunkKind.end) {
    if (decoded.totalEntries !== progress.entriesSeen || decoded.totalEntries !== progress.header.totalEntries) {
      throw new EngineError("INVALID_REQUEST", `snapshot promised ${progress.header.totalEntries} entries, carried ${progress.entriesSeen}`);
    }
    progress.ended = true;
    return;
  }
  await stageEntries(state, progress, decoded.entries);
}

async function stageEntries(state: EngineState, progress: InstallProgress, entries: SnapshotEntry[]): Promise<void> {
  let group: SnapshotEntry[] = [];
  let groupBytes = recordHeaderBytes;
  for (const entry of entries) {
    validateKey(entry.key, "snapshot key");
    if (entry.value.length > valueSizeBytesMax) throw new EngineError("TOO_LARGE", "snapshot value over valueSizeBytesMax");
    const bytes = operationBytes(entry.key, entry.value);
    // A chunk from elsewhere may be of any size: split it so every record obeys its limit.
    if (groupBytes + bytes > recordSizeBytesMax) {
      await stageGroup(state, progress, group);
      group = [];
      groupBytes = recordHeaderBytes;
    }
    group.push(entry);
    groupBytes += bytes;
  }
  if (group.length > 0) await stageGroup(state, progress, group);
}

async function stageGroup(state: EngineState, progress: InstallProgress, entries: SnapshotEntry[]): Promise<void> {
  const operations = entries.map((entry) => ({ operation: OperationKind.set, ...entry }));
  const header = { kind: RecordKind.installEntries, revision: state.revision, raftIndex: state.raftIndex };
  const { payload } = encodeRecord(header, operations);
  const appended = appendRecord(state, payload);
  indexOperations(progress.staging, payload, operations.length, appended.logIndex);
  progress.entriesSeen += entries.length;
  await appended.durable;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
