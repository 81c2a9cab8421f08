/**
 * The recovery scan of one segment's bytes (format and rules in record_format.ts): checks
 * records from the header on and reports what it found. Pure: it touches no file.
 */
import { OffsetTable } from "./offset_table.ts";
import {
  recordFrameBytes,
  recordHeaderBytes,
  recordIndexAt,
  recordPayloadLength,
  recordProblem,
  segmentHeaderBytes,
} from "./record_format.ts";
import { recordPayloadBytesMax } from "./constants.ts";

interface ScannedCorruptRecord {
  offset: number;
  index: number;
  reason: string;
}

export interface SegmentScan {
  /** Offsets of every framed record, corrupt ones included (their reads fail the CRC check). */
  offsets: OffsetTable;
  /** Records whose framing was confirmed but whose check failed. */
  corruptRecords: ScannedCorruptRecord[];
  /** End of the last framed record: where the next record would start. */
  validEndOffset: number;
  /** The first record whose framing could not be confirmed, when the scan stopped early. */
  framingLost: ScannedCorruptRecord | null;
}

/**
 * Scans `bytes` (one whole segment, header included). `isSealed` says whether a corrupt last
 * record that ends exactly at the end of the file counts as framed: in a sealed segment it
 * does; in the last segment that shape is also what a torn write looks like, so it does not.
 */
export function scanSegment(bytes: Uint8Array, firstIndex: number, isSealed: boolean): SegmentScan {
  const scan: SegmentScan = { offsets: new OffsetTable(), corruptRecords: [], validEndOffset: segmentHeaderBytes, framingLost: null };
  const end = bytes.length;
  let offset = segmentHeaderBytes;
  let index = firstIndex;
  while (offset < end) {
    const problem = recordProblem(bytes, offset, end, index);
    if (problem !== null) {
      if (!isFramingConfirmed(bytes, offset, end, index, isSealed)) {
        scan.framingLost = { offset, index, reason: problem };
        break;
      }
      scan.corruptRecords.push({ offset, index, reason: problem });
    }
    scan.offsets.push(offset);
    offset += recordFrameBytes(recordPayloadLength(bytes, offset));
    index += 1;
    scan.validEndOffset = offset;
  }
  return scan;
}

/** Whether the length field of an invalid record at `offset` can still be trusted. */
function isFramingConfirmed(bytes: Uint8Array, offset: number, end: number, index: number, isSealed: boolean): boolean {
  if (offset + recordHeaderBytes > end) return false;
  const length = recordPayloadLength(bytes, offset);
  if (length > recordPayloadBytesMax) return false;
  const nextOffset = offset + recordFrameBytes(length);
  if (nextOffset > end) return false;
  if (nextOffset === end) return isSealed;
  return recordProblem(bytes, nextOffset, end, index + 1) === null;
}

/**
 * The first valid record after `from` whose index could follow `index` (the record at `from`
 * whose framing was lost): at least index + 1, and at most one more per 16 bytes (the smallest
 * frame) between them. Null when there is none. A torn write leaves nothing valid behind it,
 * so a record found here means the bytes from `from` on are damage, not a crash's torn tail.
 */
export function findRecordAfter(
  bytes: Uint8Array,
  from: number,
  index: number,
): { offset: number; index: number } | null {
  const end = bytes.length;
  for (let offset = from + 1; offset + recordHeaderBytes <= end; offset += 1) {
    const candidate = recordIndexAt(bytes, offset);
    if (candidate <= index || candidate > index + Math.floor((offset - from) / recordHeaderBytes)) continue;
    if (recordProblem(bytes, offset, end, candidate) === null) return { offset, index: candidate };
  }
  return null;
}
