/**
 * Writing and reading one group's records in the shared log, shared by the group's view
 * (group_storage.ts) and the rewrite of shared_log.ts: each record appended is applied to the
 * group's state with its location at once, so reads see it before it is durable. Records are
 * appended without a waiter of their own; log.flushed() gives the one promise every writer of a
 * turn shares (src/log/group_commit.ts), resolved when the turn's fdatasync completes.
 */
import { entryBytes } from "../raft/entries.ts";
import type { Entry } from "../raft/types.ts";
import { EntryFormatError } from "../storage/raft_entry_format.ts";
import { RaftStorageCorruptError } from "../storage/types.ts";
import type { GroupState } from "./group_state.ts";
import type { RecordLog } from "./record_log.ts";
import { entriesRecordBytesMax } from "./wal_constants.ts";
import { decodeEntryAt, encodeEntriesRecord, entryRecordBytes } from "./wal_record_format.ts";

/**
 * Appends `entries` (consecutive, the first at most lastIndex + 1 and above the anchor) in
 * records of at most entriesRecordBytesMax (at least one entry each), replacing what the group
 * holds from the first on; the last record carries `commit` (0: the commit does not move).
 * Waits for no flush: log.flushed() says when they are durable.
 */
export function appendEntryRecords(
  log: RecordLog,
  state: GroupState,
  entries: readonly Entry[],
  commit: number,
): void {
  let start = 0;
  let bytes = 0;
  for (let position = 0; position < entries.length; position++) {
    const size = entryRecordBytes(entries[position]);
    if (position > start && bytes + size > entriesRecordBytesMax) {
      appendEntriesRecord(log, state, entries.slice(start, position), 0);
      start = position;
      bytes = 0;
    }
    bytes += size;
  }
  appendEntriesRecord(log, state, start === 0 ? entries : entries.slice(start), commit);
}

function appendEntriesRecord(log: RecordLog, state: GroupState, entries: readonly Entry[], commit: number): void {
  const { payload, offsets } = encodeEntriesRecord(state.groupId, entries, commit);
  const places = entries.map((entry, position) => ({ term: entry.term, offset: offsets[position] }));
  state.applyEntries(entries[0].index, places, commit, log.appendWithoutWaiting([payload]), false);
}

/**
 * Stored entries [low, highExclusive) of the group, at most about `bytesMax` bytes but at least
 * one: from the cache of recent entries, else decoded from their records (checked on read).
 */
export function readEntries(
  log: RecordLog,
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
