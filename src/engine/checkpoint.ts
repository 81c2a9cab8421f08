/**
 * Checkpoint file: the key index (key → value location and version) with the revision and
 * the applied Raft index, so open() replays only the log after `coveredLogIndex` instead of
 * the whole log. Values stay in the log; the checkpoint only points at them.
 *
 * Layout, little endian:
 *   0  u32  magic               checkpointMagic ("FSCP")
 *   4  u32  formatVersion       checkpointFormatVersion
 *   8  f64  revision
 *   16 f64  raftIndex
 *   24 f64  coveredLogIndex     every log record up to here is reflected
 *   32 f64  entryCount
 *   40 entries, in key order, each: u32 keyLength, u32 valueOffset, u32 valueLength,
 *      f64 version, f64 logIndex, i32 keyHash (keyHash() of the key, saves recomputing it at
 *      open), key bytes
 *   end-4  u32  crc32c of every byte before it
 * Valid only when the length, magic, version and CRC match and every entry points into the
 * log's readable range; otherwise open() ignores it and replays the whole log.
 * Written to a temporary file, fdatasync'd, renamed over the old one, then the folder synced.
 */
import { crc32c } from "@node-rs/crc32";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import type { BTree } from "./sorted_btree.ts";
import { KeyIndex, newIndexEntry, type IndexEntry } from "./key_index.ts";
import { keyToStringAt } from "./key_string.ts";
import { maintenanceEntriesPerClockCheck, maintenanceStepPauseMillisecondsMax } from "./limits.ts";
import { yieldToEventLoop } from "./yield.ts";

export const checkpointFileName = "checkpoint.bin";
const checkpointMagic = 0x50435346;
const checkpointFormatVersion = 1;
const checkpointHeaderBytes = 40;
const checkpointEntryHeaderBytes = 32;
const checkpointTrailerBytes = 4;

export interface CheckpointContents {
  revision: number;
  raftIndex: number;
  coveredLogIndex: number;
  index: KeyIndex;
  /** Range of the log indexes the entries point at (Infinity..0 when there are none). */
  logIndexMin: number;
  logIndexMax: number;
}

interface CheckpointPicture {
  revision: number;
  raftIndex: number;
  coveredLogIndex: number;
  entries: BTree<string, IndexEntry>;
}

/**
 * Encodes a picture of the index into parts of about checkpointPartBytes, yielding to the
 * event loop between bounded steps so a large index never stalls reads and writes for long.
 */
export async function encodeCheckpoint(picture: CheckpointPicture): Promise<Uint8Array[]> {
  const writer = new PartWriter();
  const header = writer.reserve(checkpointHeaderBytes);
  header.view.setUint32(header.offset, checkpointMagic, true);
  header.view.setUint32(header.offset + 4, checkpointFormatVersion, true);
  header.view.setFloat64(header.offset + 8, picture.revision, true);
  header.view.setFloat64(header.offset + 16, picture.raftIndex, true);
  header.view.setFloat64(header.offset + 24, picture.coveredLogIndex, true);
  header.view.setFloat64(header.offset + 32, picture.entries.size, true);
  let stepStarted = performance.now();
  let entriesInStep = 0;
  for (const entry of picture.entries.values()) {
    const keyString = entry.keyString;
    const { bytes, view, offset } = writer.reserve(checkpointEntryHeaderBytes + keyString.length);
    view.setUint32(offset, keyString.length, true);
    view.setUint32(offset + 4, entry.valueOffset, true);
    view.setUint32(offset + 8, entry.valueLength, true);
    view.setFloat64(offset + 12, entry.version, true);
    view.setFloat64(offset + 20, entry.logIndex, true);
    view.setInt32(offset + 28, entry.keyHash, true);
    const keyOffset = offset + checkpointEntryHeaderBytes;
    for (let position = 0; position < keyString.length; position++) bytes[keyOffset + position] = keyString.charCodeAt(position);
    if (++entriesInStep % maintenanceEntriesPerClockCheck !== 0) continue;
    if (performance.now() - stepStarted < maintenanceStepPauseMillisecondsMax) continue;
    await yieldToEventLoop();
    stepStarted = performance.now();
  }
  return writer.finishWithCrc();
}

/** Checkpoint parts are about this size: big writes, bounded memory per step. */
const checkpointPartBytes = 1024 * 1024;

/** Appends fixed-size slots to a list of parts, keeping a running CRC32C of sealed parts. */
class PartWriter {
  private readonly parts: Uint8Array[] = [];
  private current = new Uint8Array(checkpointPartBytes);
  private currentView = new DataView(this.current.buffer);
  private used = 0;
  private crc = 0;

  reserve(length: number): { bytes: Uint8Array; view: DataView; offset: number } {
    if (this.used + length > this.current.length) this.seal(Math.max(checkpointPartBytes, length));
    const offset = this.used;
    this.used += length;
    return { bytes: this.current, view: this.currentView, offset };
  }

  finishWithCrc(): Uint8Array[] {
    this.seal(checkpointTrailerBytes);
    const trailer = this.reserve(checkpointTrailerBytes);
    trailer.view.setUint32(trailer.offset, this.crc, true);
    this.parts.push(this.current.subarray(0, this.used));
    return this.parts;
  }

  private seal(nextPartBytes: number): void {
    const sealed = this.current.subarray(0, this.used);
    this.crc = crc32c(sealed, this.crc);
    this.parts.push(sealed);
    this.current = new Uint8Array(nextPartBytes);
    this.currentView = new DataView(this.current.buffer);
    this.used = 0;
  }
}

/** Decodes a checkpoint; null when it is damaged or of another format. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointContents | null {
  const decoded = decodeCheckpointOrProblem(bytes);
  return typeof decoded === "string" ? null : decoded;
}

/** Decodes a checkpoint, or says why it is damaged or of another format (for `filestore check`). */
export function decodeCheckpointOrProblem(bytes: Uint8Array): CheckpointContents | string {
  if (bytes.length < checkpointHeaderBytes + checkpointTrailerBytes) {
    return `${bytes.length} bytes, shorter than header and checksum`;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcOffset = bytes.length - checkpointTrailerBytes;
  if (view.getUint32(crcOffset, true) !== crc32c(bytes.subarray(0, crcOffset))) return "checksum mismatch";
  if (view.getUint32(0, true) !== checkpointMagic) return "bad magic";
  if (view.getUint32(4, true) !== checkpointFormatVersion) return `unknown format version ${view.getUint32(4, true)}`;
  const index = new KeyIndex();
  const entryCount = view.getFloat64(32, true);
  let offset = checkpointHeaderBytes;
  let logIndexMin = Number.POSITIVE_INFINITY;
  let logIndexMax = 0;
  for (let count = 0; count < entryCount; count++) {
    if (offset + checkpointEntryHeaderBytes > crcOffset) return `entry ${count} at offset ${offset} runs past the end`;
    const keyLength = view.getUint32(offset, true);
    const keyOffset = offset + checkpointEntryHeaderBytes;
    if (keyOffset + keyLength > crcOffset) return `key of entry ${count} at offset ${offset} runs past the end`;
    const logIndex = view.getFloat64(offset + 20, true);
    logIndexMin = Math.min(logIndexMin, logIndex);
    logIndexMax = Math.max(logIndexMax, logIndex);
    index.set(newIndexEntry({
      keyString: keyToStringAt(bytes, keyOffset, keyOffset + keyLength),
      keyHash: view.getInt32(offset + 28, true),
      valueOffset: view.getUint32(offset + 4, true),
      valueLength: view.getUint32(offset + 8, true),
      version: view.getFloat64(offset + 12, true),
      logIndex,
    }));
    offset = keyOffset + keyLength;
  }
  if (offset !== crcOffset) return `${crcOffset - offset} bytes after the last of ${entryCount} entries`;
  return {
    revision: view.getFloat64(8, true),
    raftIndex: view.getFloat64(16, true),
    coveredLogIndex: view.getFloat64(24, true),
    index,
    logIndexMin,
    logIndexMax,
  };
}

/** Replaces the checkpoint file atomically and durably. */
export async function writeCheckpointFile(directory: string, parts: readonly Uint8Array[]): Promise<void> {
  const finalPath = join(directory, checkpointFileName);
  const temporaryPath = `${finalPath}.tmp`;
  const file = await open(temporaryPath, "w");
  try {
    let position = 0;
    for (const part of parts) {
      let written = 0;
      while (written < part.length) {
        const { bytesWritten } = await file.write(part, written, part.length - written, position);
        written += bytesWritten;
        position += bytesWritten;
      }
    }
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporaryPath, finalPath);
  const folder = await open(directory, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Reads the checkpoint file; null when there is none. */
export async function readCheckpointFile(directory: string): Promise<Uint8Array | null> {
  const file = Bun.file(join(directory, checkpointFileName));
  if (!(await file.exists())) return null;
  return new Uint8Array(await file.arrayBuffer());
}
