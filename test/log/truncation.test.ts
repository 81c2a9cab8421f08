/** Suffix truncation, prefix compaction and reset of the segmented log, durable across reopen. */
import { describe, expect, test } from "bun:test";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import { IndexOutOfRangeError } from "../../src/log/types.ts";
import { recordHeaderBytes, segmentHeaderBytes } from "../../src/log/record_format.ts";
import { appendPayloads, directoriesPerTest, payloadFor, segmentFiles } from "./helpers.ts";

const payloadBytes = 24;
/** Four records per segment. */
const segmentSizeBytes = segmentHeaderBytes + 4 * (recordHeaderBytes + payloadBytes);

const freshDirectory = directoriesPerTest();

async function openFilledLog(label: string, count: number): Promise<{ dir: string; log: SegmentedLog }> {
  const dir = freshDirectory(label);
  const log = await SegmentedLog.open({ dir, segmentSizeBytes });
  await appendPayloads(log, count, payloadBytes);
  return { dir, log };
}

async function reopen(log: SegmentedLog, dir: string): Promise<SegmentedLog> {
  await log.close();
  const reopened = await SegmentedLog.open({ dir, segmentSizeBytes });
  expect(reopened.recovery.corruptRecords).toEqual([]);
  expect(reopened.recovery.tornTail).toBeNull();
  return reopened;
}

function expectRecords(log: SegmentedLog, from: number, to: number): void {
  expect([log.firstIndex() <= from, log.lastIndex()]).toEqual([true, to]);
  for (let index = from; index <= to; index += 1) expect(log.read(index)).toEqual(payloadFor(index, payloadBytes));
}

describe("truncateSuffix", () => {
  test("cuts inside the active segment, durable across reopen", async () => {
    const { dir, log } = await openFilledLog("suffix-active", 10);
    await log.truncateSuffix(9);
    let reopened = await reopen(log, dir);
    expectRecords(reopened, 1, 9);
    await reopened.append([payloadFor(10, payloadBytes)]);
    reopened = await reopen(reopened, dir);
    expectRecords(reopened, 1, 10);
    await reopened.close();
  });

  test("cuts across segment boundaries into a sealed (mapped) segment, then appends go on", async () => {
    const { dir, log } = await openFilledLog("suffix-sealed", 14);
    const viewOfThree = log.read(3);
    await log.truncateSuffix(6);
    expect(viewOfThree).toEqual(payloadFor(3, payloadBytes));
    expect(segmentFiles(dir).length).toBe(2);
    expectRecords(log, 1, 6);
    expect(() => log.read(7)).toThrow(IndexOutOfRangeError);
    let reopened = await reopen(log, dir);
    expectRecords(reopened, 1, 6);
    for (let index = 7; index <= 13; index += 1) await reopened.append([payloadFor(index, payloadBytes)]);
    reopened = await reopen(reopened, dir);
    expectRecords(reopened, 1, 13);
    await reopened.close();
  });

  test("cuts exactly at a segment boundary and down to nothing", async () => {
    const { dir, log } = await openFilledLog("suffix-boundary", 12);
    await log.truncateSuffix(8);
    let reopened = await reopen(log, dir);
    expectRecords(reopened, 1, 8);
    await reopened.truncateSuffix(0);
    reopened = await reopen(reopened, dir);
    expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([1, 0]);
    expect(await reopened.append([payloadFor(1, payloadBytes)])).toBe(1);
    await reopened.close();
  });

  test("keeping everything is a no-op; cutting before the first index is refused", async () => {
    const { dir, log } = await openFilledLog("suffix-edges", 10);
    await log.truncateSuffix(10);
    await log.truncateSuffix(50);
    expectRecords(log, 1, 10);
    await log.compactPrefix(6);
    expect(log.firstIndex()).toBe(5);
    await expect(log.truncateSuffix(2)).rejects.toThrow(IndexOutOfRangeError);
    const reopened = await reopen(log, dir);
    expectRecords(reopened, 5, 10);
    await reopened.close();
  });
});

describe("compactPrefix", () => {
  test("drops whole segments only, durable across reopen", async () => {
    const { dir, log } = await openFilledLog("prefix", 14);
    await log.compactPrefix(7);
    expect(log.firstIndex()).toBe(5);
    expect(() => log.read(4)).toThrow(IndexOutOfRangeError);
    let reopened = await reopen(log, dir);
    expect(reopened.firstIndex()).toBe(5);
    expectRecords(reopened, 5, 14);
    await reopened.compactPrefix(9);
    reopened = await reopen(reopened, dir);
    expect(reopened.firstIndex()).toBe(9);
    expectRecords(reopened, 9, 14);
    await reopened.compactPrefix(1000);
    expect(reopened.firstIndex()).toBe(13);
    reopened = await reopen(reopened, dir);
    expectRecords(reopened, 13, 14);
    await reopened.close();
  });
});

describe("resetTo", () => {
  test("drops every record and continues from the given index, durable across reopen", async () => {
    const { dir, log } = await openFilledLog("reset", 10);
    await log.resetTo(100);
    expect([log.firstIndex(), log.lastIndex()]).toEqual([100, 99]);
    expect(segmentFiles(dir)).toEqual(["00000000000000000100.log"]);
    let reopened = await reopen(log, dir);
    expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([100, 99]);
    expect(await reopened.append([payloadFor(100, payloadBytes)])).toBe(100);
    await reopened.resetTo(1);
    reopened = await reopen(reopened, dir);
    expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([1, 0]);
    await expect(reopened.resetTo(0)).rejects.toThrow(IndexOutOfRangeError);
    await reopened.close();
  });

  test("reset to the first index of an existing segment replaces it", async () => {
    const { dir, log } = await openFilledLog("reset-same", 10);
    await log.resetTo(5);
    const reopened = await reopen(log, dir);
    expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([5, 4]);
    await reopened.close();
  });
});
