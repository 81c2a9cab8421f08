/**
 * On-disk format of the shared log: one Raft write-ahead log per node for all its groups
 * (shared_log.ts). All integers are little-endian.
 *
 * Folder layout (DIR is the shared log's folder):
 *   DIR/log/        segment files of src/log/: framing, CRC32C, torn-tail rules and the segment
 *                   scan are those of src/log/record_format.ts; each record's payload is one
 *                   shared-log record below, its src/log index its *location*
 *   DIR/snapshots/  one file per stored snapshot image: `<group, 10 digits>-<sequence, 20
 *                   digits>.snapshot` in the layout of src/cluster/storage/snapshot_file.ts
 *                   (metadata, membership and image under one CRC32C), replaced never: a new
 *                   snapshot gets a new sequence number (snapshot_store.ts)
 * Snapshot images live in their own files, not in records: an image can be far larger than a
 * record may be (recordPayloadBytesMax), and in the log it would pin its segment and be copied
 * forward by every rewrite. The log holds only the snapshot's metadata and its file's sequence.
 *
 * Shared-log record (the payload of one src/log record), header (walRecordHeaderBytes = 8):
 *   offset 0  u8   kind: 1 entries, 2 hard state, 3 snapshot, 4 group removed
 *   offset 1  u8   format version (walRecordVersion = 1)
 *   offset 2  u16  reserved, 0
 *   offset 4  u32  group id
 * Indexes and terms are f64 holding integers (exact up to 2^53), as in hard_state_file.ts.
 *
 *   entries (kind 1): entries [first, first + n) of the group, replacing any it holds from first on
 *     offset  8  f64  index of the first entry (>= 1)
 *     offset 16  f64  the group's commit index once these entries are stored; 0 when the write
 *                     leaves it as it was (a write's new commit rides on its last entries record,
 *                     so the common persist, entries and a commit, is one record)
 *     offset 24  u32  entry count n (>= 1)
 *     offset 28  u32  reserved, 0
 *     offset 32  n times: u32 length L, then L bytes: the entry in the layout of
 *                src/cluster/storage/raft_entry_format.ts (term f64, kind u8, data)
 *   hard state (kind 2), 32 bytes:
 *     offset  8  f64  term;  offset 16  f64  commit;  offset 24  u32  vote;  offset 28  u32  reserved, 0
 *   snapshot (kind 3): the group's newest snapshot and where its entries now begin
 *     offset  8  f64  snapshot index
 *     offset 16  f64  snapshot term
 *     offset 24  f64  anchor index: every entry at or below it is dropped (<= snapshot index)
 *     offset 32  f64  anchor term: the term of the entry at the anchor index
 *     offset 40  f64  file sequence: the image's file; 0 when the image is empty (no file)
 *     offset 48  u8   reset: 1 drops every entry of the group (a snapshot from the leader, or the
 *                     group's creation at index 0), 0 only those at or below the anchor
 *     offset 49  3 bytes reserved, 0
 *     offset 52  u32  membership length M
 *     offset 56  M bytes: the membership as of the snapshot (encodeConfState)
 *   group removed (kind 4): the header alone; everything of the group before it is dead
 *
 * Validity rule: a record is valid when it passed the src/log checks (CRC32C over index, length
 * and payload), its header has a known kind, version 1 and zero reserved bytes, its length is
 * exactly what its kind and counts say, every index, term and sequence is a non-negative safe
 * integer (entry indexes >= 1, terms of entries >= 1), an entries record's commit is at most its
 * last entry's index, anchor <= snapshot index, and every entry and the membership decode.
 * Anything else is damage: the shared log refuses to open.
 *
 * Recovery scan (wal_recovery.ts): the segment log is opened with damage `refuse`: a torn tail
 * in the newest segment is cut and reported; any other damage refuses the open
 * (CorruptRecordError), before any file is changed. Every record, oldest first, is then checked
 * and applied to its group's state in memory (group_state.ts): entries replace from their first
 * index on (a first index past the group's end starts a new run: the entries between were in
 * dropped segments) and a commit they carry becomes the group's; a hard state replaces the
 * group's; a snapshot drops entries as its reset
 * flag says and becomes the group's; a removal forgets the group. Each group must end with a
 * snapshot record, its entries contiguous from the anchor to its last index, its commit at most
 * its last index and its term at least its entries' and snapshot's; its snapshot file must exist.
 * A group failing these refuses the open (RaftStorageCorruptError). Snapshot files no group
 * names, and leftovers of interrupted writes, are removed.
 */
import { decodeConfState, encodeConfState } from "../raft/config_entry.ts";
import type { ConfState, Entry, HardState } from "../raft/types.ts";
import { AssertionError, assert } from "../../util/assert.ts";
import { decodeEntry, encodeEntry, EntryFormatError } from "../storage/raft_entry_format.ts";
import { groupIdMax } from "./wal_constants.ts";

const walRecordVersion = 1;
const walRecordHeaderBytes = 8;
const entriesHeaderBytes = 32;
const entryLengthBytes = 4;
const hardStateRecordBytes = 32;
const snapshotHeaderBytes = 56;

const kindEntries = 1;
const kindHardState = 2;
const kindSnapshot = 3;
const kindGroupRemoved = 4;

/** What a snapshot record says (the metadata of the group's newest snapshot and its anchor). */
export interface SnapshotRecord {
  index: number;
  term: number;
  confState: ConfState;
  anchorIndex: number;
  anchorTerm: number;
  /** The image's file (snapshot_store.ts); 0 when the image is empty. */
  fileSequence: number;
  reset: boolean;
}

/** One entry of a decoded entries record: its term, and where its bytes lie in the payload. */
export interface EntryPlace {
  term: number;
  /** Offset of the entry's bytes (after their u32 length) in the record's payload. */
  offset: number;
}

export type WalRecord =
  | { kind: "entries"; groupId: number; firstIndex: number; commit: number; entries: EntryPlace[] }
  | { kind: "hardState"; groupId: number; hardState: HardState }
  | { kind: "snapshot"; groupId: number; snapshot: SnapshotRecord }
  | { kind: "groupRemoved"; groupId: number };

/**
 * Fields are written byte by byte (f64 through a scratch array), not through a DataView: a
 * DataView needs the payload's ArrayBuffer, and asking a fresh small Uint8Array for it costs a
 * copy (about 0.5 µs each, measured here) on every record of every persist.
 */
const scratchFloat = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchFloat.buffer);
assert(new Uint8Array(Uint16Array.of(1).buffer)[0] === 1, "the record writer assumes a little-endian machine");

function putUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function putFloat64(bytes: Uint8Array, offset: number, value: number): void {
  scratchFloat[0] = value;
  for (let position = 0; position < 8; position++) bytes[offset + position] = scratchBytes[position];
}

function newRecord(length: number, kind: number, groupId: number): Uint8Array {
  if (!(Number.isSafeInteger(groupId) && groupId >= 0 && groupId <= groupIdMax)) {
    throw new AssertionError(`group id ${groupId} outside [0, ${groupIdMax}]`);
  }
  const payload = new Uint8Array(length);
  payload[0] = kind;
  payload[1] = walRecordVersion;
  putUint32(payload, 4, groupId);
  return payload;
}

/** Bytes one entry takes in an entries record (its length word and its encoding). */
export function entryRecordBytes(entry: Entry): number {
  return entryLengthBytes + encodeEntry(entry).length;
}

/**
 * An entries record of `entries` (consecutive indexes) carrying `commit` (0: unchanged);
 * `offsets` of each entry's bytes in it.
 */
export function encodeEntriesRecord(
  groupId: number,
  entries: readonly Entry[],
  commit: number,
): { payload: Uint8Array; offsets: number[] } {
  let length = entriesHeaderBytes;
  for (const entry of entries) length += entryRecordBytes(entry);
  const payload = newRecord(length, kindEntries, groupId);
  putFloat64(payload, 8, entries[0].index);
  putFloat64(payload, 16, commit);
  putUint32(payload, 24, entries.length);
  const offsets: number[] = [];
  let offset = entriesHeaderBytes;
  for (const entry of entries) {
    const encoded = encodeEntry(entry);
    putUint32(payload, offset, encoded.length);
    offset += entryLengthBytes;
    payload.set(encoded, offset);
    offsets.push(offset);
    offset += encoded.length;
  }
  return { payload, offsets };
}

export function encodeHardStateRecord(groupId: number, hardState: HardState): Uint8Array {
  const payload = newRecord(hardStateRecordBytes, kindHardState, groupId);
  putFloat64(payload, 8, hardState.term);
  putFloat64(payload, 16, hardState.commit);
  putUint32(payload, 24, hardState.vote);
  return payload;
}

export function encodeSnapshotRecord(groupId: number, snapshot: SnapshotRecord): Uint8Array {
  const membership = encodeConfState(snapshot.confState);
  const payload = newRecord(snapshotHeaderBytes + membership.length, kindSnapshot, groupId);
  putFloat64(payload, 8, snapshot.index);
  putFloat64(payload, 16, snapshot.term);
  putFloat64(payload, 24, snapshot.anchorIndex);
  putFloat64(payload, 32, snapshot.anchorTerm);
  putFloat64(payload, 40, snapshot.fileSequence);
  payload[48] = snapshot.reset ? 1 : 0;
  putUint32(payload, 52, membership.length);
  payload.set(membership, snapshotHeaderBytes);
  return payload;
}

export function encodeGroupRemovedRecord(groupId: number): Uint8Array {
  return newRecord(walRecordHeaderBytes, kindGroupRemoved, groupId);
}

/** The entry at `offset` of an entries record's payload (a copy: views of the log do not outlive it). */
export function decodeEntryAt(payload: Uint8Array, offset: number, index: number): Entry {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const length = view.getUint32(offset - entryLengthBytes, true);
  return decodeEntry(index, payload.slice(offset, offset + length));
}

function isIndex(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** The record held by `payload`, or why it is not a valid one (the validity rule above). */
export function decodeWalRecord(payload: Uint8Array): WalRecord | string {
  if (payload.length < walRecordHeaderBytes) return `record of ${payload.length} bytes, shorter than its header`;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint8(1) !== walRecordVersion) return `unknown record version ${view.getUint8(1)}`;
  if (view.getUint16(2, true) !== 0) return "reserved header bytes set";
  const groupId = view.getUint32(4, true);
  switch (view.getUint8(0)) {
    case kindEntries:
      return decodeEntries(payload, view, groupId);
    case kindHardState:
      return decodeHardState(payload, view, groupId);
    case kindSnapshot:
      return decodeSnapshot(payload, view, groupId);
    case kindGroupRemoved:
      return payload.length === walRecordHeaderBytes ? { kind: "groupRemoved", groupId } : "group removal with a body";
    default:
      return `unknown record kind ${view.getUint8(0)}`;
  }
}

function decodeEntries(payload: Uint8Array, view: DataView, groupId: number): WalRecord | string {
  if (payload.length < entriesHeaderBytes) return "entries record shorter than its header";
  const firstIndex = view.getFloat64(8, true);
  const commit = view.getFloat64(16, true);
  const count = view.getUint32(24, true);
  if (!isIndex(firstIndex) || firstIndex < 1) return `entries from index ${firstIndex}`;
  if (!isIndex(commit) || commit > firstIndex + count - 1) return `entries record with commit ${commit}`;
  if (count < 1 || view.getUint32(28, true) !== 0) return "entries record with no entry or reserved bytes set";
  const entries: EntryPlace[] = [];
  let offset = entriesHeaderBytes;
  for (let position = 0; position < count; position++) {
    if (offset + entryLengthBytes > payload.length) return `entry ${firstIndex + position} overruns the record`;
    const length = view.getUint32(offset, true);
    offset += entryLengthBytes;
    if (offset + length > payload.length) return `entry ${firstIndex + position} overruns the record`;
    try {
      const entry = decodeEntry(firstIndex + position, payload.subarray(offset, offset + length));
      entries.push({ term: entry.term, offset });
    } catch (error) {
      if (error instanceof EntryFormatError) return error.message;
      throw error;
    }
    offset += length;
  }
  if (offset !== payload.length) return "trailing bytes after the entries";
  return { kind: "entries", groupId, firstIndex, commit, entries };
}

function decodeHardState(payload: Uint8Array, view: DataView, groupId: number): WalRecord | string {
  if (payload.length !== hardStateRecordBytes) return `hard state record of ${payload.length} bytes`;
  const term = view.getFloat64(8, true);
  const commit = view.getFloat64(16, true);
  if (!isIndex(term) || !isIndex(commit)) return "hard state term or commit not an index";
  if (view.getUint32(28, true) !== 0) return "hard state reserved bytes set";
  return { kind: "hardState", groupId, hardState: { term, commit, vote: view.getUint32(24, true) } };
}

function decodeSnapshot(payload: Uint8Array, view: DataView, groupId: number): WalRecord | string {
  if (payload.length < snapshotHeaderBytes) return "snapshot record shorter than its header";
  const numbers = [8, 16, 24, 32, 40].map((offset) => view.getFloat64(offset, true));
  if (!numbers.every(isIndex)) return "snapshot index, term, anchor or sequence not an integer";
  const [index, term, anchorIndex, anchorTerm, fileSequence] = numbers;
  if (anchorIndex > index) return `anchor ${anchorIndex} past the snapshot index ${index}`;
  const reset = view.getUint8(48);
  if (reset > 1 || view.getUint8(49) !== 0 || view.getUint16(50, true) !== 0) {
    return "snapshot flags or reserved bytes invalid";
  }
  const membershipBytes = view.getUint32(52, true);
  if (snapshotHeaderBytes + membershipBytes !== payload.length) {
    return "snapshot membership length differs from the record";
  }
  let confState: ConfState;
  try {
    confState = decodeConfState(payload.subarray(snapshotHeaderBytes));
  } catch (error) {
    if (error instanceof AssertionError) return `snapshot membership: ${error.message}`;
    throw error;
  }
  const snapshot = { index, term, confState, anchorIndex, anchorTerm, fileSequence, reset: reset === 1 };
  return { kind: "snapshot", groupId, snapshot };
}
