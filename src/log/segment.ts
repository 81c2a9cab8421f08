/**
 * One segment of the log in memory: its record offsets and a byte view of its file.
 *
 * A sealed segment is read through Bun.mmap: reads return views into the mapping, no copy.
 * The mapping is private (copy-on-write): Bun.mmap has no read-only mode, and a caller writing
 * into a returned view must never reach the file. Linux still shows the file's bytes through
 * pages nobody wrote to, so damage on disk after open is caught by the CRC check on read.
 * The active (last) segment is mirrored in an in-memory buffer instead, because Bun.mmap
 * cannot grow a mapping as the file grows. The buffer is also the write buffer: records are
 * encoded into it once, written to the file from it, and served from it, so the active
 * segment costs one copy of the payload on append and none on read. When it fills up, the
 * buffer doubles (views handed out earlier keep the old buffer alive and stay valid).
 */
import fs from "node:fs";
import { assert } from "../util/assert.ts";
import { CorruptRecordError, type CorruptRecordInfo } from "./types.ts";
import { OffsetTable } from "./offset_table.ts";
import { encodeRecord, recordFrameBytes, recordHeaderBytes, recordPayloadLength, recordProblem, segmentHeaderBytes } from "./record_format.ts";
import { writeFully } from "./segment_files.ts";
import { tailBufferBytesInitial } from "./constants.ts";

export class Segment {
  /** Records counted in this segment, readable or not: lastIndex() = firstIndex + recordCount - 1. */
  recordCount: number;
  /** Set when records from position offsets.length on cannot be located (lost framing). */
  unreadable: CorruptRecordInfo | null = null;
  /** Bytes of the file already handed to write(); only the active segment has unwritten bytes. */
  private writtenOffset: number;
  /** fdatasyncs running in the thread pool on this segment's descriptor. */
  private backgroundSyncs = 0;
  /** A descriptor given up while background fdatasyncs ran on it: closed when the last one completes. */
  private deferredCloseFd: number | null = null;

  constructor(
    readonly firstIndex: number,
    readonly filePath: string,
    private bytes: Uint8Array,
    /** End of the last record: the file's length once everything is written. */
    private endOffset: number,
    readonly offsets: OffsetTable,
    private fd: number | null,
  ) {
    this.recordCount = offsets.length;
    this.writtenOffset = endOffset;
  }

  isActive(): boolean {
    return this.fd !== null;
  }

  lastIndex(): number {
    return this.firstIndex + this.recordCount - 1;
  }

  sizeBytes(): number {
    return this.endOffset;
  }

  /** Whether a record of `payloadBytes` fits; an empty segment takes any record, even an oversized one. */
  fits(payloadBytes: number, segmentSizeBytes: number): boolean {
    return this.recordCount === 0 || this.endOffset + recordFrameBytes(payloadBytes) <= segmentSizeBytes;
  }

  appendRecord(payload: Uint8Array): void {
    assert(this.fd !== null, "append to a sealed segment");
    assert(this.unreadable === null, "append after unreadable records");
    this.ensureCapacity(this.endOffset + recordFrameBytes(payload.length));
    this.offsets.push(this.endOffset);
    this.endOffset = encodeRecord(this.bytes, this.endOffset, this.firstIndex + this.recordCount, payload);
    this.recordCount += 1;
  }

  /** Writes the records appended since the last call to the file, in one write. */
  writePending(): number {
    assert(this.fd !== null, "write to a sealed segment");
    const pendingBytes = this.endOffset - this.writtenOffset;
    if (pendingBytes > 0) writeFully(this.fd, this.bytes, this.writtenOffset, this.endOffset, this.writtenOffset);
    this.writtenOffset = this.endOffset;
    return pendingBytes;
  }

  fdatasync(): void {
    assert(this.fd !== null, "fdatasync of a sealed segment");
    fs.fdatasyncSync(this.fd);
  }

  /**
   * fdatasync in the thread pool. The descriptor stays open until it completes, even if the
   * segment is sealed or closed meanwhile: a descriptor closed (and its number reused by the
   * next segment) under a queued fdatasync would sync the wrong file or fail with EBADF.
   */
  fdatasyncInBackground(done: (error: Error | null) => void): void {
    const fd = this.fd;
    assert(fd !== null, "fdatasync of a sealed segment");
    this.backgroundSyncs += 1;
    fs.fdatasync(fd, (error) => {
      this.backgroundSyncs -= 1;
      if (this.backgroundSyncs === 0 && this.deferredCloseFd !== null) {
        closeQuietly(this.deferredCloseFd);
        this.deferredCloseFd = null;
      }
      done(error);
    });
  }

  /** Gives up the descriptor: closed now, or when the last background fdatasync on it completes. */
  private releaseFile(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    if (this.backgroundSyncs > 0) this.deferredCloseFd = fd;
    else fs.closeSync(fd);
  }

  /** Turns the active segment into a sealed one read through mmap; its bytes must be written. */
  seal(): void {
    assert(this.fd !== null, "seal of a sealed segment");
    assert(this.writtenOffset === this.endOffset, "seal with unwritten bytes");
    this.releaseFile();
    this.bytes = mapSegmentFile(this.filePath);
    assert(this.bytes.length === this.endOffset, "sealed segment file length differs from its records");
  }

  /** Keeps the first `count` records of the active segment, in the file and in memory. */
  truncateActive(count: number, durable: boolean): void {
    assert(this.fd !== null, "in-place truncation of a sealed segment");
    assert(this.writtenOffset === this.endOffset, "truncation with unwritten bytes");
    const newEndOffset = this.offsetOfPosition(count);
    fs.ftruncateSync(this.fd, newEndOffset);
    if (durable) fs.fdatasyncSync(this.fd);
    // A fresh buffer, so views of dropped records never show bytes of later appends.
    this.bytes = this.bytes.slice(0, Math.max(newEndOffset, tailBufferBytesInitial));
    this.endOffset = newEndOffset;
    this.writtenOffset = newEndOffset;
    this.offsets.truncate(count);
    this.recordCount = count;
  }

  /** File offset where the record at `position` starts (or the end, for position == count). */
  offsetOfPosition(position: number): number {
    assert(position >= 0 && position <= this.offsets.length, "position beyond the located records");
    if (position === 0) return segmentHeaderBytes;
    if (position === this.offsets.length) return this.endOffset;
    return this.offsets.at(position);
  }

  /** Bytes [0, end) of the file as currently known (a view). */
  contents(end: number): Uint8Array {
    assert(end <= this.endOffset, "contents beyond the end of the segment");
    return this.bytes.subarray(0, end);
  }

  closeFile(): void {
    this.releaseFile();
  }

  /** The payload of `index` as a view, after checking its frame and CRC again. */
  read(index: number): Uint8Array {
    const position = index - this.firstIndex;
    assert(position >= 0 && position < this.recordCount, "read outside the segment");
    if (position >= this.offsets.length) {
      assert(this.unreadable !== null, "record without offset in a readable segment");
      throw new CorruptRecordError(this.filePath, this.unreadable.offset, index, this.unreadable.reason);
    }
    const offset = this.offsets.at(position);
    const problem = recordProblem(this.bytes, offset, this.endOffset, index);
    if (problem !== null) throw new CorruptRecordError(this.filePath, offset, index, problem);
    const payloadStart = offset + recordHeaderBytes;
    return this.bytes.subarray(payloadStart, payloadStart + recordPayloadLength(this.bytes, offset));
  }

  private ensureCapacity(bytesNeeded: number): void {
    if (bytesNeeded <= this.bytes.length) return;
    let capacity = Math.max(this.bytes.length, tailBufferBytesInitial);
    while (capacity < bytesNeeded) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.endOffset));
    this.bytes = grown;
  }
}

/** Maps a whole segment file for reading (see the head comment for why private). */
export function mapSegmentFile(filePath: string): Uint8Array {
  return Bun.mmap(filePath, { shared: false });
}

/** Closes a descriptor whose data is already synced; a failure here loses nothing, so it is not raised from a callback. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // The descriptor's records were covered by an fdatasync that completed; nothing to report.
  }
}
