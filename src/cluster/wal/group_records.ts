/**
 * Writing and reading one group's records in the shared log, shared by the group's view
 * (group_storage.ts) and the rewrite of shared_log.ts: each record appended is applied to the
 * group's state with its location at once, so reads see it before it is durable.
 */
import type { SegmentedLog } from "../../log/segmented_log.ts";
import { entryBytes } from "../raft/entries.ts";
import type { Entry } from "../raft/types.ts";
import { EntryFormatError } from "../storage/raft_entry_format.ts";
import { RaftStorageCorruptError } from "../storage/types.ts";
import type { GroupState } from "./group_state.ts";
import { entriesRecordBytesMax } from "./wal_constants.ts";
import { decodeEntryAt, encodeEntriesRecord, entryRecordBytes } from "./wal_record_format.ts";

/** Appends one record and applies it to the group's state with its location; resolves when durable. */
export function appendAndApply(
  log: SegmentedLog,
  payload: Uint8Array,
  apply: (location: number) => void,
): Promise<number> {
  const before = log.lastIndex();
  const durable = log.append([payload]);
  if (log.lastIndex() === before + 1) apply(before + 1);
  return durable;
}

/**
 * Appends `entries` (consecutive, the first at most lastIndex + 1 and above the anchor) in
 * records of at most entriesRecordBytesMax, replacing what the group holds from the first on.
 * Resolves when they are durable.
 */
export function appendEntryRecords(log: SegmentedLog, state: GroupState, entries: readonly Entry[]): Promise<number> {
  let durable: Promise<number> | null = null;
  for (const chunk of recordChunks(entries)) {
    const { payload, offsets } = encodeEntriesRecord(state.groupId, chunk);
    const places = chunk.map((entry, position) => ({ term: entry.term, offset: offsets[position] }));
    durable = appendAndApply(log, payload, (location) => state.applyEntries(chunk[0].index, places, location, false));
  }
  return durable!;
}

/** Consecutive runs of entries of at most entriesRecordBytesMax (at least one entry each). */
function* recordChunks(entries: readonly Entry[]): Generator<readonly Entry[]> {
  let start = 0;
  let bytes = 0;
  for (let position = 0; position < entries.length; position++) {
    const entryBytesInRecord = entryRecordBytes(entries[position]);
    if (position > start && bytes + entryBytesInRecord > entriesRecordBytesMax) {
      yield entries.slice(start, position);
      start = position;
      bytes = 0;
    }
    bytes += entryBytesInRecord;
  }
  if (start < entries.length) yield start === 0 ? entries : entries.slice(start);
}

/**
 * Stored entries [low, highExclusive) of the group, at most about `bytesMax` bytes but at least
 * one: from the cache of recent entries, else decoded from their records (checked on read).
 */
export function readEntries(
  log: SegmentedLog,
  state: GroupState,
  low: number,
  highExclusive: number,
  bytesMax: number,
): Entry[] {
  const result: Entry[] = [];
  let location = 0;
  let payload: Uint8Array | null = null;
  let totalBytes = 0;
  for (let index = low; index < highExclusive; index++) {
    let entry = state.recent.get(index);
    if (entry !== undefined) {
      state.counters.entryCacheHits++;
    } else {
      state.counters.entryCacheMisses++;
      // Consecutive entries often share a record: read (and check) it once.
      if (payload === null || location !== state.entries.recordOf(index)) {
        location = state.entries.recordOf(index);
        payload = log.read(location);
      }
      entry = decodeStoredEntry(state, payload, index);
    }
    totalBytes += entryBytes(entry);
    if (totalBytes > bytesMax && result.length > 0) break;
    result.push(entry);
  }
  return result;
}

function decodeStoredEntry(state: GroupState, payload: Uint8Array, index: number): Entry {
  try {
    return decodeEntryAt(payload, state.entries.offsetOf(index), index);
  } catch (error) {
    if (error instanceof EntryFormatError) {
      throw new RaftStorageCorruptError(`shared log group ${state.groupId}`, error.message);
    }
    throw error;
  }
}
