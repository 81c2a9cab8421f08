/**
 * Engine compaction: reclaims overwritten and deleted values without changing state, stops early
 * on close, and starts by itself past the configured share of garbage.
 */
import { describe, expect, test } from "bun:test";
import { bytes, dump, segmentedHarness, temporaryFolder, text } from "./helpers.ts";

const valueBytes = 1024;
const valueOf = (step: number) => bytes(`${step}:`.padEnd(valueBytes, "x"));

describe("engine compaction", () => {
  test("reclaims overwritten and deleted values without changing state, with writes during it", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 64 * 1024);
    let engine = await harness.open();
    const expected = new Map<string, string>();
    for (let step = 0; step < 3000; step++) {
      const key = `key/${step % 100}`;
      if (step % 11 === 5) {
        await engine.apply({ op: "delete", key: bytes(key) });
        expected.delete(key);
      } else {
        await engine.apply({ op: "put", key: bytes(key), value: valueOf(step) });
        expected.set(key, text(valueOf(step)));
      }
    }
    const sizeBefore = engine.stats().logBytes;
    const compaction = engine.compact();
    let finished = false;
    void compaction.then(() => {
      finished = true;
    });
    // Writes (new keys and overwrites) keep landing while compaction runs, bounded in count.
    let writesDuringCompaction = 0;
    for (let step = 3000; step < 3400 && !finished; step++) {
      writesDuringCompaction += 1;
      const key = `key/${step % 150}`;
      await engine.apply({ op: "put", key: bytes(key), value: valueOf(step) });
      expected.set(key, text(valueOf(step)));
    }
    const report = await compaction;
    expect(report.completed).toBe(true);
    expect(writesDuringCompaction).toBeGreaterThan(1);
    expect(report.entriesRelocated).toBeGreaterThan(0);
    expect(report.logBytesAfter).toBeLessThan(sizeBefore / 4);
    const visible = new Map(dump(engine).map(([key, value]) => [key, value]));
    expect(visible).toEqual(expected);
    const before = dump(engine);
    engine = await harness.restart(engine);
    expect(engine.recovery.checkpoint).toBe("loaded");
    expect(dump(engine)).toEqual(before);
    await engine.close();
  });

  test("close during a compaction stops it early and loses nothing", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 16 * 1024);
    let engine = await harness.open();
    for (let step = 0; step < 2000; step++) await engine.apply({ op: "put", key: bytes(`key/${step % 500}`), value: valueOf(step) });
    const before = dump(engine);
    const compaction = engine.compact();
    await engine.close();
    const report = await compaction;
    expect(report.logBytesAfter).toBeGreaterThan(0);
    engine = await harness.open();
    expect(dump(engine)).toEqual(before);
    await engine.close();
  });
});

describe("engine compaction on its own", () => {
  test("runs by itself once garbage passes the configured share of the log", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 64 * 1024);
    const engine = await harness.open({ autoCompaction: { garbageRatioMin: 0.5, logBytesMin: 256 * 1024 } });
    let largestLogBytes = 0;
    let shrank = false;
    for (let step = 0; step < 5000 && !shrank; step++) {
      await engine.apply({ op: "put", key: bytes(`key/${step % 20}`), value: valueOf(step) });
      const logBytes = engine.stats().logBytes;
      shrank = logBytes < largestLogBytes / 2;
      largestLogBytes = Math.max(largestLogBytes, logBytes);
    }
    expect(shrank).toBe(true);
    expect(engine.lastBackgroundError).toBeNull();
    expect(engine.stats().keys).toBe(20);
    await engine.close();
  });
});
