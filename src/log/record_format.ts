/**
 * On-disk format of a log segment. All integers are little-endian.
 *
 * A segment file is named `<first index, 20 decimal digits>.log` and holds a header followed by
 * records, back to back, with no padding:
 *
 *   Segment header (segmentHeaderBytes = 32)
 *     offset  0  u32  magic 0x474C5346 ("FSLG" read as bytes)
 *     offset  4  u16  format version (segmentFormatVersion = 1)
 *     offset  6  u16  reserved, 0
 *     offset  8  u64  index of the first record of this segment (as u32 low, u32 high)
 *     offset 16  12 bytes reserved, 0
 *     offset 28  u32  CRC32C of bytes [0, 28)
 *
 *   Record frame at offset o (recordHeaderBytes = 16)
 *     o +  0  u32  CRC32C of bytes [o + 4, o + 16 + length): index, length and payload
 *     o +  4  u64  record index (u32 low, u32 high); the sequence number, dense across the log
 *     o + 12  u32  payload length in bytes (at most recordPayloadBytesMax)
 *     o + 16  payload; the next record starts at o + 16 + length
 *
 * CRC32C (Castagnoli) because it is the standard for storage framing, has hardware support and
 * detects every burst error of up to 32 bits. It covers the index and the length, so a record
 * copied to the wrong place or a corrupt length is caught as surely as a corrupt payload.
 *
 * Validity rule: the record at o is valid when its 16 header bytes lie inside the file, its
 * index is the one expected (segment first index + records before it), its length is at most
 * recordPayloadBytesMax, its payload lies inside the file, and its CRC matches. A segment header
 * is valid when it has 32 bytes, the magic, a known version, a matching CRC and the first index
 * its file name states.
 *
 * Recovery scan (recovery.ts): segments in file-name order; from offset 32, check records one by
 * one. At the first invalid record, when its length field points at the end of the segment or at
 * a valid record carrying the next index, the framing is confirmed: the record alone is corrupt
 * (reported, reads of it throw CorruptRecordError) and the scan goes on. Otherwise the framing is
 * lost: in the last segment that is a torn tail (a write cut by a crash; everything from o on is
 * truncated and reported as the recovery's tornTail); in a sealed segment it is corruption, and
 * every index from there to the next segment's first index is reported unreadable and throws on
 * read, since the offsets of those records cannot be trusted.
 * Reads verify the CRC again (a paired check), so bytes damaged after open are never served.
 */
import { crc32c } from "@node-rs/crc32";
import { recordIndexMax, recordPayloadBytesMax } from "./constants.ts";

const segmentMagic = 0x474c5346;
const segmentFormatVersion = 1;
export const segmentHeaderBytes = 32;
export const recordHeaderBytes = 16;
const segmentHeaderChecksumOffset = 28;
const twoTo32 = 2 ** 32;

function readUint32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function readUint64(bytes: Uint8Array, offset: number): number {
  return readUint32(bytes, offset) + readUint32(bytes, offset + 4) * twoTo32;
}

function writeUint64(bytes: Uint8Array, offset: number, value: number): void {
  writeUint32(bytes, offset, value % twoTo32);
  writeUint32(bytes, offset + 4, Math.floor(value / twoTo32));
}

export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, "0")}.log`;
}

/** The first index a segment file name states, or null for any other file. */
export function parseSegmentFileName(name: string): number | null {
  if (!/^\d{20}\.log$/.test(name)) return null;
  const firstIndex = Number(name.slice(0, 20));
  return Number.isSafeInteger(firstIndex) && firstIndex >= 1 ? firstIndex : null;
}

export function encodeSegmentHeader(firstIndex: number): Uint8Array {
  const header = new Uint8Array(segmentHeaderBytes);
  writeUint32(header, 0, segmentMagic);
  header[4] = segmentFormatVersion & 0xff;
  header[5] = segmentFormatVersion >>> 8;
  writeUint64(header, 8, firstIndex);
  writeUint32(header, segmentHeaderChecksumOffset, crc32c(header.subarray(0, segmentHeaderChecksumOffset)));
  return header;
}

/** Why a segment header is invalid, or null when it is valid and states `expectedFirstIndex`. */
export function segmentHeaderProblem(bytes: Uint8Array, expectedFirstIndex: number): string | null {
  if (bytes.length < segmentHeaderBytes) return "segment shorter than its header";
  const storedChecksum = readUint32(bytes, segmentHeaderChecksumOffset);
  if (crc32c(bytes.subarray(0, segmentHeaderChecksumOffset)) !== storedChecksum) return "segment header checksum mismatch";
  if (readUint32(bytes, 0) !== segmentMagic) return "bad segment magic";
  const version = bytes[4] | (bytes[5] << 8);
  if (version !== segmentFormatVersion) return `unknown segment format version ${version}`;
  const firstIndex = readUint64(bytes, 8);
  if (firstIndex !== expectedFirstIndex) return `header first index ${firstIndex} differs from file name ${expectedFirstIndex}`;
  return null;
}

export function recordFrameBytes(payloadBytes: number): number {
  return recordHeaderBytes + payloadBytes;
}

/** Writes one record frame at `offset` of `target`; returns the offset just past it. */
export function encodeRecord(target: Uint8Array, offset: number, index: number, payload: Uint8Array): number {
  writeUint64(target, offset + 4, index);
  writeUint32(target, offset + 12, payload.length);
  target.set(payload, offset + recordHeaderBytes);
  const end = offset + recordHeaderBytes + payload.length;
  writeUint32(target, offset, crc32c(target.subarray(offset + 4, end)));
  return end;
}

export function recordPayloadLength(bytes: Uint8Array, offset: number): number {
  return readUint32(bytes, offset + 12);
}

export function recordIndexAt(bytes: Uint8Array, offset: number): number {
  return readUint64(bytes, offset + 4);
}

/**
 * Why the record at `offset` (bytes before `end` are the file) is invalid under the validity
 * rule, or null when it is valid. Returns constant strings: no allocation on the read path
 * unless the record is bad.
 */
export function recordProblem(bytes: Uint8Array, offset: number, end: number, expectedIndex: number): string | null {
  if (offset + recordHeaderBytes > end) return "record header cut short";
  if (recordIndexAt(bytes, offset) !== expectedIndex) return "record index differs from the expected sequence";
  const length = recordPayloadLength(bytes, offset);
  if (length > recordPayloadBytesMax) return "record length above the maximum";
  const recordEnd = offset + recordHeaderBytes + length;
  if (recordEnd > end) return "record payload cut short";
  if (crc32c(bytes.subarray(offset + 4, recordEnd)) !== readUint32(bytes, offset)) return "record checksum mismatch";
  return null;
}

export function isValidRecordIndex(index: number): boolean {
  return Number.isSafeInteger(index) && index >= 1 && index <= recordIndexMax;
}
