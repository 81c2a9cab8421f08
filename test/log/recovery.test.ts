/**
 * Log recovery: torn tails are truncated and reported; corruption before the tail is reported at
 * open or on read and never served.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import { CorruptRecordError } from "../../src/log/types.ts";
import { recordHeaderBytes, segmentHeaderBytes } from "../../src/log/record_format.ts";
import { appendPayloads, directoriesPerTest, payloadFor, segmentFiles } from "./helpers.ts";
import { CollectingLogger } from "../util/collecting_logger.ts";

const payloadBytes = 40;
const frameBytes = recordHeaderBytes + payloadBytes;
/** Five records per segment: header + 5 frames fit, a sixth does not. */
const segmentSizeBytes = segmentHeaderBytes + 5 * frameBytes;

const freshDirectory = directoriesPerTest();

/** A closed log of `count` records of payloadBytes each, five per segment. */
async function writeLog(label: string, count: number): Promise<string> {
  const dir = freshDirectory(label);
  const log = await SegmentedLog.open({ dir, segmentSizeBytes });
  await appendPayloads(log, count, payloadBytes);
  await log.close();
  return dir;
}

function recordOffset(positionInSegment: number): number {
  return segmentHeaderBytes + positionInSegment * frameBytes;
}

function flipByte(filePath: string, offset: number): void {
  const fd = fs.openSync(filePath, "r+");
  const byte = new Uint8Array(1);
  fs.readSync(fd, byte, 0, 1, offset);
  byte[0] ^= 0x10;
  fs.writeSync(fd, byte, 0, 1, offset);
  fs.closeSync(fd);
}

function lastSegmentPath(dir: string): string {
  const files = segmentFiles(dir);
  return path.join(dir, files[files.length - 1]);
}

describe("torn tail", () => {
  test("a file cut mid-record is truncated to the last whole record and appends go on", async () => {
    const dir = await writeLog("torn", 8);
    const tail = lastSegmentPath(dir);
    fs.truncateSync(tail, fs.statSync(tail).size - 7);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    const tornTail = { file: tail, offset: recordOffset(2), bytesCut: frameBytes - 7 };
    const clean = { corruptRecords: [], segmentsSetAside: [] };
    expect(log.recovery).toEqual({ segmentsScanned: 2, recordsRecovered: 7, tornTail, ...clean });
    expect(log.lastIndex()).toBe(7);
    expect(await log.append([payloadFor(8, payloadBytes)])).toBe(8);
    await log.close();
    const reopened = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(reopened.recovery.tornTail).toBeNull();
    for (let index = 1; index <= 8; index += 1) expect(reopened.read(index)).toEqual(payloadFor(index, payloadBytes));
    await reopened.close();
  });

  test("garbage and zeros after the last record are truncated and reported", async () => {
    for (const filler of [Uint8Array.from({ length: 100 }, (_, position) => (position * 37 + 11) & 0xff), new Uint8Array(4096)]) {
      const dir = await writeLog("garbage", 7);
      fs.appendFileSync(lastSegmentPath(dir), filler);
      const log = await SegmentedLog.open({ dir, segmentSizeBytes });
      const tornTail = { file: lastSegmentPath(dir), offset: recordOffset(2), bytesCut: filler.length };
      expect(log.recovery.tornTail).toEqual(tornTail);
      expect(log.recovery.corruptRecords).toEqual([]);
      expect(log.lastIndex()).toBe(7);
      expect(await log.append([payloadFor(8, payloadBytes)])).toBe(8);
      expect(log.read(8)).toEqual(payloadFor(8, payloadBytes));
      await log.close();
    }
  });

  test("a record whose payload was not persisted is cut even when its length is intact", async () => {
    const dir = await writeLog("torn-payload", 8);
    const tail = lastSegmentPath(dir);
    const fd = fs.openSync(tail, "r+");
    fs.writeSync(fd, new Uint8Array(payloadBytes), 0, payloadBytes, recordOffset(2) + recordHeaderBytes);
    fs.closeSync(fd);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.tornTail).toEqual({ file: tail, offset: recordOffset(2), bytesCut: frameBytes });
    expect(log.lastIndex()).toBe(7);
    await log.close();
  });
});

describe("corruption before the tail", () => {
  test("a bit flipped in a sealed record's payload is reported at open and never served", async () => {
    const dir = await writeLog("bitflip", 12);
    const sealed = path.join(dir, segmentFiles(dir)[1]);
    flipByte(sealed, recordOffset(2) + recordHeaderBytes + 20);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.corruptRecords).toEqual([{ file: sealed, offset: recordOffset(2), index: 8, reason: "record checksum mismatch" }]);
    expect(log.recovery.recordsRecovered).toBe(11);
    expect(log.recovery.tornTail).toBeNull();
    expect(() => log.read(8)).toThrow(CorruptRecordError);
    expect(() => [...log.readRange(6, 10)]).toThrow(CorruptRecordError);
    for (const index of [1, 6, 7, 9, 10, 12]) expect(log.read(index)).toEqual(payloadFor(index, payloadBytes));
    expect(await log.append([payloadFor(13, payloadBytes)])).toBe(13);
    await log.close();
  });

  test("a corrupt length field makes the rest of that sealed segment unreadable, reported as a range", async () => {
    const dir = await writeLog("length", 12);
    const sealed = path.join(dir, segmentFiles(dir)[1]);
    flipByte(sealed, recordOffset(1) + 14);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.corruptRecords).toEqual([
      { file: sealed, offset: recordOffset(1), index: 7, reason: "record payload cut short: records 7..10 unreadable" },
    ]);
    for (const index of [7, 8, 9, 10]) expect(() => log.read(index)).toThrow(CorruptRecordError);
    for (const index of [1, 5, 6, 11, 12]) expect(log.read(index)).toEqual(payloadFor(index, payloadBytes));
    await log.close();
  });

  test("a bit flipped after open is caught by the check on read (paired check)", async () => {
    const dir = await writeLog("after-open", 12);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.read(3)).toEqual(payloadFor(3, payloadBytes));
    flipByte(path.join(dir, segmentFiles(dir)[0]), recordOffset(2) + recordHeaderBytes + 1);
    expect(() => log.read(3)).toThrow(CorruptRecordError);
    expect(log.read(4)).toEqual(payloadFor(4, payloadBytes));
    await log.close();
  });

  test("a caller writing into a returned view never changes the file; the damaged copy is refused", async () => {
    const dir = await writeLog("view-write", 12);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    const view = log.read(2);
    view[0] ^= 0xff;
    expect(() => log.read(2)).toThrow(CorruptRecordError);
    await log.close();
    const reopened = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(reopened.recovery.corruptRecords).toEqual([]);
    expect(reopened.read(2)).toEqual(payloadFor(2, payloadBytes));
    await reopened.close();
  });
});

describe("corruption before the tail: segment headers and segment ends", () => {
  test("a corrupt sealed segment header makes its records unreadable; later segments still serve", async () => {
    const dir = await writeLog("header", 12);
    const sealed = path.join(dir, segmentFiles(dir)[0]);
    flipByte(sealed, 9);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.corruptRecords).toEqual([
      { file: sealed, offset: 0, index: 1, reason: "segment header checksum mismatch: records 1..5 unreadable" },
    ]);
    expect(() => log.read(1)).toThrow(CorruptRecordError);
    expect(log.read(6)).toEqual(payloadFor(6, payloadBytes));
    await log.close();
  });

  test("a corrupt record inside the last segment followed by valid ones is reported, not cut", async () => {
    const dir = await writeLog("last-middle", 8);
    const tail = lastSegmentPath(dir);
    flipByte(tail, recordOffset(0) + recordHeaderBytes + 3);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.tornTail).toBeNull();
    expect(log.recovery.corruptRecords).toEqual([{ file: tail, offset: recordOffset(0), index: 6, reason: "record checksum mismatch" }]);
    expect(() => log.read(6)).toThrow(CorruptRecordError);
    expect(log.read(8)).toEqual(payloadFor(8, payloadBytes));
    await log.close();
  });

  test("a last segment with a corrupt header is set aside and reported; the log goes on before it", async () => {
    const dir = await writeLog("last-header", 8);
    const tail = lastSegmentPath(dir);
    flipByte(tail, 2);
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.corruptRecords.length).toBe(1);
    expect(log.recovery.corruptRecords[0].index).toBe(6);
    expect(log.lastIndex()).toBe(5);
    expect(fs.existsSync(`${tail}.corrupt`)).toBe(true);
    const setAside = { file: tail, movedTo: `${tail}.corrupt`, reason: expect.any(String) };
    expect(log.recovery.segmentsSetAside).toEqual([setAside]);
    expect(await log.append([payloadFor(6, payloadBytes)])).toBe(6);
    await log.close();
  });

  test("a sealed segment that ends early reports its missing records", async () => {
    const dir = await writeLog("short", 12);
    const sealed = path.join(dir, segmentFiles(dir)[1]);
    fs.truncateSync(sealed, recordOffset(3));
    const log = await SegmentedLog.open({ dir, segmentSizeBytes });
    expect(log.recovery.corruptRecords).toEqual([
      { file: sealed, offset: recordOffset(3), index: 9, reason: "segment ends early: records 9..10 unreadable" },
    ]);
    expect(() => log.read(9)).toThrow(CorruptRecordError);
    expect(log.read(8)).toEqual(payloadFor(8, payloadBytes));
    await log.close();
  });
});

describe("recovery is logged when a logger is given", () => {
  test("a summary, the torn tail with file and offset, each corrupt record and each segment set aside", async () => {
    const dir = await writeLog("logged", 12);
    const sealed = path.join(dir, segmentFiles(dir)[1]);
    const tail = lastSegmentPath(dir);
    flipByte(sealed, recordOffset(2) + recordHeaderBytes + 20);
    fs.appendFileSync(tail, new Uint8Array(9));
    const logger = new CollectingLogger();
    const log = await SegmentedLog.open({ dir, segmentSizeBytes, logger });
    expect(logger.lines).toEqual([
      { level: "info", message: "log recovered", fields: { dir, segments: 3, records: 11, corrupt_records: 1 } },
      { level: "warn", message: "torn tail cut", fields: { file: tail, offset: recordOffset(2), bytes: 9 } },
      {
        level: "error",
        message: "corrupt record",
        fields: { file: sealed, offset: recordOffset(2), index: 8, reason: "record checksum mismatch" },
      },
    ]);
    await log.close();
  });

  test("a last segment set aside is logged with where it went", async () => {
    const dir = await writeLog("logged-aside", 8);
    const tail = lastSegmentPath(dir);
    flipByte(tail, 2);
    const logger = new CollectingLogger();
    const log = await SegmentedLog.open({ dir, segmentSizeBytes, logger });
    const setAside = logger.lines.find((line) => line.message === "segment set aside");
    expect(setAside?.fields).toEqual({ file: tail, moved_to: `${tail}.corrupt`, reason: expect.any(String) });
    await log.close();
  });
});

describe("damage `refuse`: open throws at the first damage and changes no file", () => {
  test("a corrupt sealed record refuses the open", async () => {
    const dir = await writeLog("refuse-sealed", 12);
    const sealed = path.join(dir, segmentFiles(dir)[1]);
    flipByte(sealed, recordOffset(2) + recordHeaderBytes + 20);
    const opening = SegmentedLog.open({ dir, segmentSizeBytes, damage: "refuse" });
    await expect(opening).rejects.toThrow(CorruptRecordError);
    await expect(opening).rejects.toMatchObject({ file: sealed, offset: recordOffset(2), index: 8 });
  });

  test("a last segment with a corrupt header refuses the open and stays in place", async () => {
    const dir = await writeLog("refuse-last-header", 8);
    const tail = lastSegmentPath(dir);
    const before = fs.readFileSync(tail);
    flipByte(tail, 2);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(SegmentedLog.open({ dir, segmentSizeBytes, damage: "refuse" })).rejects.toThrow(CorruptRecordError);
    }
    expect(fs.existsSync(`${tail}.corrupt`)).toBe(false);
    expect(fs.readFileSync(tail).length).toBe(before.length);
  });

  test("a corrupt record inside the last segment refuses the open; its tail is not cut", async () => {
    const dir = await writeLog("refuse-last-middle", 8);
    const tail = lastSegmentPath(dir);
    const sizeBefore = fs.statSync(tail).size;
    flipByte(tail, recordOffset(0) + recordHeaderBytes + 3);
    fs.appendFileSync(tail, new Uint8Array(7).fill(0xee));
    await expect(SegmentedLog.open({ dir, segmentSizeBytes, damage: "refuse" })).rejects.toThrow(CorruptRecordError);
    expect(fs.statSync(tail).size).toBe(sizeBefore + 7);
  });

  test("a torn tail is still cut and reported", async () => {
    const dir = await writeLog("refuse-torn", 8);
    const tail = lastSegmentPath(dir);
    fs.appendFileSync(tail, new Uint8Array(7).fill(0xee));
    const log = await SegmentedLog.open({ dir, segmentSizeBytes, damage: "refuse" });
    expect(log.recovery.tornTail).toEqual({ file: tail, offset: recordOffset(3), bytesCut: 7 });
    expect(log.lastIndex()).toBe(8);
    await log.close();
  });
});
