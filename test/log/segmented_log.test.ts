/**
 * The segmented log: appends, reads and reopens across segments, typed errors, failed file
 * operations, and group commit under the fsync modes.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import { IndexOutOfRangeError } from "../../src/log/types.ts";
import { LogClosedError, LogOptionError, LogWriteError, RecordTooLargeError } from "../../src/log/errors.ts";
import { recordPayloadBytesMax } from "../../src/log/constants.ts";
import { directoriesPerTest, payloadFor, segmentFiles } from "./helpers.ts";

const freshDirectory = directoriesPerTest();

describe("SegmentedLog round trips", () => {
  test("an empty log starts at index 1", async () => {
    const log = await SegmentedLog.open({ dir: freshDirectory("empty") });
    expect([log.firstIndex(), log.lastIndex(), log.recovery.recordsRecovered]).toEqual([1, 0, 0]);
    expect(() => log.read(1)).toThrow(IndexOutOfRangeError);
    await log.close();
  });

  test("appended records read back, in memory and after reopen", async () => {
    const dir = freshDirectory("roundtrip");
    const log = await SegmentedLog.open({ dir });
    expect(await log.append([payloadFor(1, 10), payloadFor(2, 0), payloadFor(3, 300)])).toBe(3);
    expect(log.read(1)).toEqual(payloadFor(1, 10));
    expect(log.read(2)).toEqual(new Uint8Array(0));
    await log.close();
    const reopened = await SegmentedLog.open({ dir });
    const clean = { tornTail: null, corruptRecords: [], segmentsSetAside: [] };
    expect(reopened.recovery).toEqual({ segmentsScanned: 1, recordsRecovered: 3, ...clean });
    expect([...reopened.readRange(1, 3)].map((entry) => [entry.index, entry.payload])).toEqual([
      [1, payloadFor(1, 10)],
      [2, new Uint8Array(0)],
      [3, payloadFor(3, 300)],
    ]);
    await reopened.close();
  });

  test("many segments: records roll over, sealed ones are read through mmap, reopen sees all", async () => {
    const dir = freshDirectory("segments");
    const log = await SegmentedLog.open({ dir, segmentSizeBytes: 256 });
    for (let index = 1; index <= 200; index += 1) await log.append([payloadFor(index, index % 50)]);
    expect(segmentFiles(dir).length).toBeGreaterThan(10);
    expect(log.stats().segmentCount).toBe(segmentFiles(dir).length);
    for (let index = 1; index <= 200; index += 1) expect(log.read(index)).toEqual(payloadFor(index, index % 50));
    const size = log.sizeBytes();
    await log.close();
    const reopened = await SegmentedLog.open({ dir, segmentSizeBytes: 256 });
    expect(reopened.recovery.recordsRecovered).toBe(200);
    expect(reopened.sizeBytes()).toBe(size);
    for (const { index, payload } of reopened.readRange(1, 200)) expect(payload).toEqual(payloadFor(index, index % 50));
    expect(await reopened.append([payloadFor(201, 5)])).toBe(201);
    await reopened.close();
  });

  test("a record larger than the segment size gets a segment of its own", async () => {
    const dir = freshDirectory("oversize");
    const log = await SegmentedLog.open({ dir, segmentSizeBytes: 128 });
    await log.append([payloadFor(1, 10), payloadFor(2, 1000), payloadFor(3, 10)]);
    expect(log.read(2)).toEqual(payloadFor(2, 1000));
    await log.close();
    const reopened = await SegmentedLog.open({ dir, segmentSizeBytes: 128 });
    expect(reopened.read(2)).toEqual(payloadFor(2, 1000));
    expect(reopened.read(3)).toEqual(payloadFor(3, 10));
    await reopened.close();
  });
});

describe("SegmentedLog errors and leftovers", () => {
  test("bad input gets typed errors and harms nothing", async () => {
    const dir = freshDirectory("bad-input");
    await expect(SegmentedLog.open({ dir, segmentSizeBytes: 3 })).rejects.toThrow(LogOptionError);
    await expect(SegmentedLog.open({ dir, fsync: "sometimes" as never })).rejects.toThrow(LogOptionError);
    await expect(SegmentedLog.open({ dir, damage: "ignore" as never })).rejects.toThrow(LogOptionError);
    const log = await SegmentedLog.open({ dir });
    await log.append([payloadFor(1, 4)]);
    await expect(log.append([payloadFor(2, 4), new Uint8Array(recordPayloadBytesMax + 1)])).rejects.toThrow(RecordTooLargeError);
    expect(log.lastIndex()).toBe(1);
    expect(() => log.read(0)).toThrow(IndexOutOfRangeError);
    expect(() => log.read(2)).toThrow(IndexOutOfRangeError);
    expect(() => log.read(1.5)).toThrow(IndexOutOfRangeError);
    expect(log.read(1)).toEqual(payloadFor(1, 4));
    await log.close();
    expect(() => log.read(1)).toThrow(LogClosedError);
    await expect(log.append([payloadFor(2, 4)])).rejects.toThrow(LogClosedError);
  });

  test("a failed file operation fails the log with a typed error; later writes are refused", async () => {
    const dir = freshDirectory("io-failure");
    const log = await SegmentedLog.open({ dir, segmentSizeBytes: 128 });
    await log.append([payloadFor(1, 60)]);
    fs.rmSync(dir, { recursive: true, force: true });
    // The next record does not fit: rolling over must create a segment file in a folder that is gone.
    await expect(log.append([payloadFor(2, 60)])).rejects.toThrow(LogWriteError);
    await expect(log.append([payloadFor(3, 1)])).rejects.toThrow(LogWriteError);
    await expect(log.sync()).rejects.toThrow(LogWriteError);
    expect(log.read(1)).toEqual(payloadFor(1, 60));
    await log.close();
  });

  test("leftover temporary files of an interrupted segment creation are removed at open", async () => {
    const dir = freshDirectory("leftover");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "00000000000000000001.log.tmp"), "half a header");
    const log = await SegmentedLog.open({ dir });
    expect(fs.readdirSync(dir)).toEqual(["00000000000000000001.log"]);
    await log.close();
  });
});

describe("SegmentedLog fsync modes and group commit", () => {
  test("concurrent appends share fdatasyncs and each resolves with its own index", async () => {
    const dir = freshDirectory("group");
    const log = await SegmentedLog.open({ dir });
    const writerCount = 100;
    const results = await Promise.all(Array.from({ length: writerCount }, (_, position) => log.append([payloadFor(position + 1, 64)])));
    expect(results).toEqual(Array.from({ length: writerCount }, (_, position) => position + 1));
    expect(log.stats().fdatasyncCount).toBeLessThan(writerCount);
    expect(log.stats().fdatasyncCount).toBeGreaterThanOrEqual(1);
    expect(log.stats().writeCount).toBeLessThan(writerCount);
    await log.close();
    const reopened = await SegmentedLog.open({ dir });
    for (let index = 1; index <= writerCount; index += 1) expect(reopened.read(index)).toEqual(payloadFor(index, 64));
    await reopened.close();
  });

  test("batch mode acknowledges after one delayed fdatasync", async () => {
    const dir = freshDirectory("batch");
    const syncDurations: number[] = [];
    const log = await SegmentedLog.open({ dir, fsync: "batch", batchDelayMs: 5, onFsync: (seconds) => syncDurations.push(seconds) });
    const results = await Promise.all([log.append([payloadFor(1, 8)]), log.append([payloadFor(2, 8)]), log.append([payloadFor(3, 8)])]);
    expect(results).toEqual([1, 2, 3]);
    expect(log.stats().fdatasyncCount).toBe(1);
    expect(syncDurations.length).toBe(1);
    await log.close();
  });

  test("unsafe-no-fsync never calls fdatasync for appends, but sync() does", async () => {
    const dir = freshDirectory("unsafe");
    const log = await SegmentedLog.open({ dir, fsync: "unsafe-no-fsync" });
    await log.append([payloadFor(1, 8)]);
    await log.append([payloadFor(2, 8)]);
    expect(log.stats().fdatasyncCount).toBe(0);
    await log.sync();
    expect(log.stats().fdatasyncCount).toBe(1);
    await log.close();
    const reopened = await SegmentedLog.open({ dir });
    expect(reopened.lastIndex()).toBe(2);
    await reopened.close();
  });
});

describe("appends that wait for no flush", () => {
  test("appendWithoutWaiting costs no write of its own; the next flush writes and syncs it", async () => {
    const dir = freshDirectory("without-waiting");
    const log = await SegmentedLog.open({ dir });
    const fileSize = () => fs.statSync(path.join(dir, segmentFiles(dir)[0])).size;
    const emptySize = fileSize();
    expect(log.appendWithoutWaiting([payloadFor(1, 20)])).toBe(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log.read(1)).toEqual(payloadFor(1, 20));
    expect(fileSize()).toBe(emptySize);
    expect(log.stats()).toMatchObject({ writeCount: 0, fdatasyncCount: 0, recordsAppended: 1 });
    expect(await log.append([payloadFor(2, 20)])).toBe(2);
    expect(log.stats()).toMatchObject({ writeCount: 1, fdatasyncCount: 1, recordsAppended: 2 });
    expect(fileSize()).toBeGreaterThan(emptySize + 40);
    await log.close();
  });

  test("close() writes what was appended without waiting", async () => {
    const dir = freshDirectory("without-waiting-close");
    const log = await SegmentedLog.open({ dir });
    log.appendWithoutWaiting([payloadFor(1, 20), payloadFor(2, 30)]);
    await log.close();
    const reopened = await SegmentedLog.open({ dir });
    const payloads = [...reopened.readRange(1, 2)].map((record) => record.payload);
    expect(payloads).toEqual([payloadFor(1, 20), payloadFor(2, 30)]);
    await reopened.close();
  });

  test("flushed() resolves once everything appended is durable, one promise for every caller of a turn", async () => {
    const dir = freshDirectory("flushed");
    const log = await SegmentedLog.open({ dir });
    expect(await log.flushed()).toBe(0);
    log.appendWithoutWaiting([payloadFor(1, 20)]);
    const first = log.flushed();
    log.appendWithoutWaiting([payloadFor(2, 20)]);
    expect(log.flushed()).toBe(first);
    expect(await first).toBe(2);
    expect(log.stats()).toMatchObject({ writeCount: 1, fdatasyncCount: 1 });
    await log.close();
    const reopened = await SegmentedLog.open({ dir });
    expect(reopened.lastIndex()).toBe(2);
    await reopened.close();
  });

  test("segmentSizes lists every segment, oldest first, with its bytes", async () => {
    const dir = freshDirectory("segment-sizes");
    const log = await SegmentedLog.open({ dir, segmentSizeBytes: 256 });
    for (let index = 1; index <= 20; index += 1) await log.append([payloadFor(index, 40)]);
    const sizes = log.segmentSizes();
    const firstIndexes = segmentFiles(dir).map((name) => Number(name.slice(0, 20)));
    expect(sizes.map((segment) => segment.firstIndex)).toEqual(firstIndexes);
    expect(sizes.reduce((total, segment) => total + segment.sizeBytes, 0)).toBe(log.sizeBytes());
    await log.close();
  });
});
