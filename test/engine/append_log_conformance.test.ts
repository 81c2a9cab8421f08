/**
 * The AppendLog behaviour the engine relies on, checked on both implementations it runs on:
 * the in-memory test double and the segmented log. The double is only trusted as far as it
 * passes the same cases as the real log.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import type { AppendLog } from "../../src/log/types.ts";
import { MemoryLog } from "./memory_log.ts";
import { bytes, temporaryFolder, text } from "./helpers.ts";

const implementations: Array<[string, (directory: string) => Promise<AppendLog>]> = [
  ["memory log", async () => new MemoryLog(undefined, 4)],
  ["segmented log", (directory) => SegmentedLog.open({ dir: join(directory, "log"), fsync: "unsafe-no-fsync", segmentSizeBytes: 256 })],
];

describe.each(implementations)("AppendLog contract on %s", (_name, openLog) => {
  test("appends are visible at once, indexed densely, and read back as given", async () => {
    await using folder = await temporaryFolder();
    const log = await openLog(folder.path);
    expect([log.firstIndex(), log.lastIndex()]).toEqual([1, 0]);
    const appended = log.append([bytes("one"), bytes("two")]);
    expect(log.lastIndex()).toBe(2);
    expect(text(log.read(2))).toBe("two");
    expect(await appended).toBe(2);
    const many = Array.from({ length: 40 }, (_, position) => bytes(`record ${position}`.repeat(3)));
    expect(await log.append(many)).toBe(42);
    expect([...log.readRange(3, 42)].map(({ index, payload }) => [index, text(payload)])).toEqual(
      many.map((payload, position) => [position + 3, text(payload)]),
    );
    expect(log.sizeBytes()).toBeGreaterThan(0);
    await log.close();
  });

  test("compactPrefix keeps every record at or after the index asked for", async () => {
    await using folder = await temporaryFolder();
    const log = await openLog(folder.path);
    await log.append(Array.from({ length: 60 }, (_, position) => bytes(`payload number ${position}`)));
    const sizeBefore = log.sizeBytes();
    await log.compactPrefix(45);
    expect(log.firstIndex()).toBeGreaterThan(1);
    expect(log.firstIndex()).toBeLessThanOrEqual(45);
    expect(log.sizeBytes()).toBeLessThan(sizeBefore);
    for (let index = 45; index <= 60; index++) expect(text(log.read(index))).toBe(`payload number ${index - 1}`);
    expect(() => log.read(1)).toThrow();
    await log.close();
  });
});
