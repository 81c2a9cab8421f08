/**
 * Damage for tests of `check` and of start-up on a damaged folder: the records of a segment
 * file as the format lays them out (src/log/record_format.ts), and single flipped bytes.
 */
import fs from "node:fs";
import path from "node:path";
import {
  recordHeaderBytes,
  recordIndexAt,
  recordPayloadLength,
  segmentHeaderBytes,
} from "../../src/log/record_format.ts";

export interface RecordPlace {
  offset: number;
  index: number;
  payloadBytes: number;
}

/** Every record of an undamaged segment file, in order. */
export function recordsOf(file: string): RecordPlace[] {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const records: RecordPlace[] = [];
  for (let offset = segmentHeaderBytes; offset + recordHeaderBytes <= bytes.length;) {
    const payloadBytes = recordPayloadLength(bytes, offset);
    records.push({ offset, index: recordIndexAt(bytes, offset), payloadBytes });
    offset += recordHeaderBytes + payloadBytes;
  }
  return records;
}

/** The record whose frame holds the middle byte of the file. */
function middleRecordOf(file: string): RecordPlace {
  const middle = Math.floor(fs.statSync(file).size / 2);
  const record = recordsOf(file).find((place) => place.offset + recordHeaderBytes + place.payloadBytes > middle);
  if (record === undefined) throw new Error(`${file} has no record at its middle`);
  return record;
}

/** Flips a payload byte of `file`'s middle record (its framing holds, its checksum fails); returns the record. */
export function damageMiddleRecord(file: string): RecordPlace {
  const record = middleRecordOf(file);
  flipByte(file, record.offset + recordHeaderBytes + 1);
  return record;
}

/** Segment files of a log folder, oldest first. */
export function segmentPaths(logFolder: string): string[] {
  return fs
    .readdirSync(logFolder)
    .filter((name) => name.endsWith(".log"))
    .sort()
    .map((name) => path.join(logFolder, name));
}

export function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, "r+");
  try {
    const byte = new Uint8Array(1);
    fs.readSync(fd, byte, 0, 1, offset);
    byte[0] ^= 0x10;
    fs.writeSync(fd, byte, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}
