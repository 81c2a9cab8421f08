/**
 * Engine restarts: checkpoint plus log tail, damaged checkpoints ignored, checkpoints taken by
 * themselves, and no acknowledged write lost to kill -9 (spawned fixtures).
 */
import { describe, expect, test } from "bun:test";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkpointFileName } from "../../src/engine/checkpoint.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { bytes, crashTestTimeoutMilliseconds, dump, segmentedHarness, temporaryFolder, text } from "./helpers.ts";
import { CollectingLogger } from "../util/collecting_logger.ts";

async function writeWorkload(engine: Engine, from: number, count: number): Promise<void> {
  for (let step = from; step < from + count; step++) {
    const key = bytes(`key/${step % 300}`);
    if (step % 7 === 3) await engine.apply({ op: "delete", key });
    else await engine.apply({ op: "put", key, value: bytes(`value-${step}`) });
  }
}

describe("engine restart", () => {
  test("checkpoint plus log tail gives the state before the restart", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 16 * 1024);
    let engine = await harness.open();
    await writeWorkload(engine, 0, 1000);
    const report = await engine.checkpoint();
    expect(report.entries).toBe(engine.stats().keys);
    await writeWorkload(engine, 1000, 120);
    const before = dump(engine);
    const revision = engine.revision();
    const logger = new CollectingLogger();
    engine = await harness.restart(engine, { logger });
    expect(engine.recovery.checkpoint).toBe("loaded");
    expect(engine.recovery.recordsReplayed).toBe(120);
    expect(dump(engine)).toEqual(before);
    // The log's recovery, then the engine's: the checkpoint was used and 120 records replayed.
    expect(logger.messages()).toEqual(["log recovered", "engine recovered"]);
    const recovered = logger.lines[1].fields;
    const { duration_ms } = recovered;
    const keys = before.length;
    expect(recovered).toEqual({ dir: folder.path, checkpoint: "loaded", records_replayed: 120, keys, duration_ms });
    // Point reads go through the hash index, rebuilt from the checkpoint's stored hashes.
    for (const [key, value, version] of before) {
      expect([text(engine.get(bytes(key))!.value), engine.get(bytes(key))!.version]).toEqual([value, version]);
    }
    expect(engine.revision()).toBe(revision);
    await engine.close();
  });

  test("a damaged or truncated checkpoint is ignored and the whole log replayed", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 16 * 1024);
    let engine = await harness.open();
    await writeWorkload(engine, 0, 600);
    await engine.checkpoint();
    await writeWorkload(engine, 600, 50);
    const before = dump(engine);
    await engine.close();
    const checkpointPath = join(folder.path, checkpointFileName);
    const original = await readFile(checkpointPath);
    await rm(checkpointPath);
    engine = await harness.open();
    expect(engine.recovery.checkpoint).toBe("absent");
    const logRecords = engine.recovery.recordsReplayed;
    expect(dump(engine)).toEqual(before);
    await engine.close();
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)] ^= 0x40;
    for (const damaged of [flipped, original.subarray(0, original.length - 9), Buffer.alloc(0)]) {
      await writeFile(checkpointPath, damaged);
      engine = await harness.open();
      expect(engine.recovery.checkpoint).toBe("invalid");
      expect(engine.recovery.recordsReplayed).toBe(logRecords);
      expect(dump(engine)).toEqual(before);
      await engine.close();
    }
  });

});

describe("engine checkpoints in the background", () => {
  test("a checkpoint is written by itself once enough records follow the last one", async () => {
    await using folder = await temporaryFolder();
    const harness = segmentedHarness(folder.path, 16 * 1024);
    let engine = await harness.open({ autoCheckpoint: { recordsMin: 300 } });
    // Writes go on until the background checkpoint has landed, bounded in count.
    let written = 0;
    while (written < 5000 && !(await Bun.file(join(folder.path, checkpointFileName)).exists())) {
      await engine.apply({ op: "put", key: bytes(`key/${written % 50}`), value: bytes(`value-${written}`) });
      written += 1;
    }
    const before = dump(engine);
    engine = await harness.restart(engine);
    expect(engine.recovery.checkpoint).toBe("loaded");
    // Only the records after the checkpoint are replayed (how many depends on the machine's pace).
    expect(engine.recovery.recordsReplayed).toBeLessThan(written - 300);
    expect(dump(engine)).toEqual(before);
    expect(engine.lastBackgroundError).toBeNull();
    await engine.close();
  });
});

describe("engine restart after kill -9", () => {
  test("acknowledged writes survive kill -9 of the process", async () => {
    await using folder = await temporaryFolder();
    const writer = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "acknowledging_writer.ts"), folder.path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const acknowledged = await readAcknowledgements(writer.stdout, 300);
    writer.kill(9);
    await writer.exited;
    const engine = await segmentedHarness(folder.path).open({ fsync: "always" });
    for (const step of acknowledged) expect(text(engine.get(bytes(`key/${step}`))!.value)).toBe(`value-${step}`.repeat(8));
    expect(engine.revision()).toBeGreaterThanOrEqual(acknowledged.length);
    await engine.close();
  }, crashTestTimeoutMilliseconds);

  test("kill -9 in the middle of compactions and checkpoints loses no acknowledged write", async () => {
    for (const acknowledgementsBeforeKill of [150, 400]) {
      await using folder = await temporaryFolder();
      const writer = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "compacting_writer.ts"), folder.path], {
        stdout: "pipe",
        stderr: "inherit",
      });
      const acknowledged = await readAcknowledgements(writer.stdout, acknowledgementsBeforeKill);
      writer.kill(9);
      await writer.exited;
      const engine = await segmentedHarness(folder.path).open({ fsync: "always" });
      const lastAcknowledgedByKey = new Map<string, number>();
      for (const step of acknowledged) lastAcknowledgedByKey.set(`key/${step % 40}`, step);
      for (const [key, step] of lastAcknowledgedByKey) {
        const stored = Number(text(engine.get(bytes(key))!.value).split(":")[0]);
        // Later puts may have reached the disk unacknowledged; earlier ones must not win.
        expect(stored).toBeGreaterThanOrEqual(step);
      }
      await engine.close();
    }
  }, crashTestTimeoutMilliseconds);
});

/** Reads "acked N" lines until `wanted` of them arrived (the writer stops by itself later). */
async function readAcknowledgements(stream: ReadableStream<Uint8Array>, wanted: number): Promise<number[]> {
  const acknowledged: number[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("acked ")) acknowledged.push(Number(line.slice(6)));
    if (acknowledged.length >= wanted) return acknowledged;
  }
  throw new Error(`writer exited after ${acknowledged.length} acknowledgements`);
}
