/**
 * Snapshot stream: every live key with its value and version, plus the revision and the
 * applied Raft index, as a sequence of self-checking chunks (for Raft's InstallSnapshot or a
 * backup). Each chunk, little endian:
 *   0  u32  magic          snapshotMagic ("FSSN")
 *   4  u8   kind           1 = header, 2 = entries, 3 = end
 *   5  u8   formatVersion  snapshotFormatVersion
 *   6  u16  reserved       0
 *   8  u32  entryCount     entries in this chunk (0 for header and end)
 *   12 body
 *      header: f64 revision, f64 raftIndex, f64 totalEntries
 *      entries: per entry u32 keyLength, u32 valueLength, f64 version, key, value
 *      end: f64 totalEntries
 *   end-4 u32 crc32c of every byte before it
 * A stream is one header, any number of entries chunks, one end; anything else is refused.
 */
import { crc32c } from "@node-rs/crc32";
import type { BTree } from "./sorted_btree.ts";
import { EngineError } from "./errors.ts";
import type { IndexEntry } from "./key_index.ts";
import { snapshotChunkBytesTarget } from "./limits.ts";
import { stringToKey } from "./key_string.ts";
import { yieldToEventLoop } from "./yield.ts";

const snapshotMagic = 0x4e535346;
const snapshotFormatVersion = 1;
const chunkHeaderBytes = 12;
const chunkTrailerBytes = 4;
const entryHeaderBytes = 16;

export const ChunkKind = { header: 1, entries: 2, end: 3 } as const;

export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
  version: number;
}

type SnapshotChunk =
  | { kind: typeof ChunkKind.header; revision: number; raftIndex: number; totalEntries: number }
  | { kind: typeof ChunkKind.entries; entries: SnapshotEntry[] }
  | { kind: typeof ChunkKind.end; totalEntries: number };

interface SnapshotPicture {
  revision: number;
  raftIndex: number;
  entries: BTree<string, IndexEntry>;
}

/** Chunks of a picture of the state; `valueOf` reads an entry's value from the log. */
export async function* snapshotChunks(
  picture: SnapshotPicture,
  valueOf: (entry: IndexEntry) => Uint8Array,
): AsyncGenerator<Uint8Array> {
  const totalEntries = picture.entries.size;
  yield sealChunk(ChunkKind.header, 0, 24, (view, offset) => {
    view.setFloat64(offset, picture.revision, true);
    view.setFloat64(offset + 8, picture.raftIndex, true);
    view.setFloat64(offset + 16, totalEntries, true);
  });
  let pending: SnapshotEntry[] = [];
  let pendingBytes = 0;
  for (const entry of picture.entries.values()) {
    const value = valueOf(entry);
    pending.push({ key: stringToKey(entry.keyString), value, version: entry.version });
    pendingBytes += entryHeaderBytes + entry.keyString.length + value.length;
    if (pendingBytes < snapshotChunkBytesTarget) continue;
    yield encodeEntriesChunk(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await yieldToEventLoop();
  }
  if (pending.length > 0) yield encodeEntriesChunk(pending, pendingBytes);
  yield sealChunk(ChunkKind.end, 0, 8, (view, offset) => view.setFloat64(offset, totalEntries, true));
}

function encodeEntriesChunk(entries: readonly SnapshotEntry[], bodyBytes: number): Uint8Array {
  return sealChunk(ChunkKind.entries, entries.length, bodyBytes, (view, start) => {
    const bytes = new Uint8Array(view.buffer);
    let offset = start;
    for (const entry of entries) {
      view.setUint32(offset, entry.key.length, true);
      view.setUint32(offset + 4, entry.value.length, true);
      view.setFloat64(offset + 8, entry.version, true);
      bytes.set(entry.key, offset + entryHeaderBytes);
      bytes.set(entry.value, offset + entryHeaderBytes + entry.key.length);
      offset += entryHeaderBytes + entry.key.length + entry.value.length;
    }
  });
}

function sealChunk(kind: number, entryCount: number, bodyBytes: number, writeBody: (view: DataView, offset: number) => void): Uint8Array {
  const chunk = new Uint8Array(chunkHeaderBytes + bodyBytes + chunkTrailerBytes);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, snapshotMagic, true);
  view.setUint8(4, kind);
  view.setUint8(5, snapshotFormatVersion);
  view.setUint32(8, entryCount, true);
  writeBody(view, chunkHeaderBytes);
  const crcOffset = chunk.length - chunkTrailerBytes;
  view.setUint32(crcOffset, crc32c(chunk.subarray(0, crcOffset)), true);
  return chunk;
}

function invalid(reason: string): EngineError {
  return new EngineError("INVALID_REQUEST", `snapshot chunk ${reason}`);
}

/**
 * Checks a chunk's frame (length, checksum, magic, format version, kind) without decoding its
 * entries, and returns its kind. Throws INVALID_REQUEST.
 */
export function checkSnapshotChunk(chunk: Uint8Array): (typeof ChunkKind)[keyof typeof ChunkKind] {
  if (!(chunk instanceof Uint8Array) || chunk.length < chunkHeaderBytes + chunkTrailerBytes) throw invalid("too short");
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const crcOffset = chunk.length - chunkTrailerBytes;
  if (view.getUint32(crcOffset, true) !== crc32c(chunk.subarray(0, crcOffset))) throw invalid("checksum mismatch");
  if (view.getUint32(0, true) !== snapshotMagic) throw invalid("magic mismatch");
  if (view.getUint8(5) !== snapshotFormatVersion) throw invalid("of an unknown format version");
  const kind = view.getUint8(4);
  const known = kind === ChunkKind.header || kind === ChunkKind.entries || kind === ChunkKind.end;
  if (!known) throw invalid(`of unknown kind ${kind}`);
  return kind as (typeof ChunkKind)[keyof typeof ChunkKind];
}

/** Decodes and checks one chunk; keys and values are views into it. Throws INVALID_REQUEST. */
export function decodeSnapshotChunk(chunk: Uint8Array): SnapshotChunk {
  const kind = checkSnapshotChunk(chunk);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const crcOffset = chunk.length - chunkTrailerBytes;
  const bodyBytes = crcOffset - chunkHeaderBytes;
  if (kind === ChunkKind.header) {
    if (bodyBytes !== 24) throw invalid("header of a wrong size");
    return {
      kind,
      revision: view.getFloat64(chunkHeaderBytes, true),
      raftIndex: view.getFloat64(chunkHeaderBytes + 8, true),
      totalEntries: view.getFloat64(chunkHeaderBytes + 16, true),
    };
  }
  if (kind === ChunkKind.end) {
    if (bodyBytes !== 8) throw invalid("end of a wrong size");
    return { kind, totalEntries: view.getFloat64(chunkHeaderBytes, true) };
  }
  return { kind, entries: decodeEntries(chunk, view, view.getUint32(8, true), crcOffset) };
}

function decodeEntries(chunk: Uint8Array, view: DataView, entryCount: number, end: number): SnapshotEntry[] {
  const entries: SnapshotEntry[] = [];
  let offset = chunkHeaderBytes;
  for (let count = 0; count < entryCount; count++) {
    if (offset + entryHeaderBytes > end) throw invalid("entry header past its end");
    const keyLength = view.getUint32(offset, true);
    const valueLength = view.getUint32(offset + 4, true);
    const version = view.getFloat64(offset + 8, true);
    const keyOffset = offset + entryHeaderBytes;
    const valueOffset = keyOffset + keyLength;
    if (valueOffset + valueLength > end) throw invalid("entry past its end");
    if (!Number.isSafeInteger(version) || version <= 0) throw invalid("entry with a bad version");
    entries.push({ key: chunk.subarray(keyOffset, valueOffset), value: chunk.subarray(valueOffset, valueOffset + valueLength), version });
    offset = valueOffset + valueLength;
  }
  if (offset !== end) throw invalid("with trailing bytes");
  return entries;
}
