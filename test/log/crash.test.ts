/**
 * The segmented log under SIGKILL: every acknowledged record survives the death of the appending
 * process, round after round (a spawned fixture).
 */
import { afterAll, expect, test } from "bun:test";
import path from "node:path";
import { crc32c } from "@node-rs/crc32";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "./helpers.ts";

const fixturePath = path.join(import.meta.dir, "fixtures", "append_child.ts");
const roundCount = 5;
/** Fixed seed: a failing run replays the same kill points. */
const seed = 20_261_125;
/** Acknowledgements to wait for before the kill: between these two, chosen by the seeded PRNG. */
const acknowledgementsBeforeKillMin = 5;
const acknowledgementsBeforeKillMax = 400;
/** A round that sees too few acknowledgements in this time has failed (bounds the test). */
const roundDeadlineMs = 30_000;

const dir = makeTemporaryDirectory("crash");
afterAll(() => removeTemporaryDirectory(dir));

function mulberry32(initial: number): () => number {
  let value = initial >>> 0;
  return () => {
    value = (value + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(value ^ (value >>> 15), 1 | value);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Runs the child until it has acknowledged `killAfter` records, SIGKILLs it, returns its complete lines. */
async function runChildUntilKilled(childSeed: number, killAfter: number): Promise<string[]> {
  const child = Bun.spawn([process.execPath, fixturePath, dir, String(childSeed)], { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  let text = "";
  let acknowledged = 0;
  const deadline = Date.now() + roundDeadlineMs;
  const reader = child.stdout.getReader();
  while (acknowledged < killAfter && Date.now() < deadline) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
    acknowledged = text.split("\n").length - 2;
  }
  child.kill("SIGKILL");
  await child.exited;
  reader.releaseLock();
  expect(child.signalCode).toBe("SIGKILL");
  expect(acknowledged).toBeGreaterThanOrEqual(killAfter);
  const complete = text.slice(0, text.lastIndexOf("\n"));
  return complete.split("\n");
}

test("every acknowledged record survives SIGKILL of the appending process, round after round", async () => {
  const random = mulberry32(seed);
  const acknowledgedChecksums = new Map<number, number>();
  for (let round = 0; round < roundCount; round += 1) {
    const killAfter = acknowledgementsBeforeKillMin + Math.floor(random() * (acknowledgementsBeforeKillMax - acknowledgementsBeforeKillMin));
    const lines = await runChildUntilKilled(Math.floor(random() * 2 ** 31), killAfter);
    expect(lines[0].startsWith("ready ")).toBe(true);
    for (const line of lines.slice(1)) {
      const [index, checksum] = line.split(" ").map(Number);
      expect(acknowledgedChecksums.has(index)).toBe(false);
      acknowledgedChecksums.set(index, checksum);
    }
    const log = await SegmentedLog.open({ dir, segmentSizeBytes: 8 * 1024 });
    expect(log.recovery.corruptRecords).toEqual([]);
    const highestAcknowledged = Math.max(...acknowledgedChecksums.keys());
    expect(log.lastIndex()).toBeGreaterThanOrEqual(highestAcknowledged);
    for (const [index, checksum] of acknowledgedChecksums) expect(crc32c(log.read(index))).toBe(checksum);
    await log.close();
  }
  expect(acknowledgedChecksums.size).toBeGreaterThan(roundCount * acknowledgementsBeforeKillMin);
});
