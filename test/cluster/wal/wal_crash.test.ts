/**
 * The shared log under SIGKILL: a child process writes eight groups turn after turn (one write
 * and one fdatasync per turn for all of them) and is killed at a seeded point, round after round;
 * every acknowledged hard state, committed entry and snapshot of every group survives.
 */
import { afterAll, expect, test } from "bun:test";
import path from "node:path";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "../../log/helpers.ts";
import { AcknowledgedGroups } from "./acknowledged_groups.ts";
import { type Acknowledgement, seededRandom } from "./group_workload.ts";
import { openSharedLog } from "./helpers.ts";

const fixturePath = path.join(import.meta.dir, "fixtures", "wal_child.ts");
const roundCount = 4;
/** Fixed seed: a failing run replays the same kill points and workloads. */
const seed = 16_0016;
/** Acknowledgements to wait for before SIGKILL: between these, chosen by the seeded PRNG. */
const acknowledgementsBeforeKillMin = 40;
const acknowledgementsBeforeKillMax = 800;
/** A round that sees too few acknowledgements in this time has failed (bounds the test). */
const roundDeadlineMs = 30_000;

const dir = makeTemporaryDirectory("wal-crash");
afterAll(() => removeTemporaryDirectory(dir));

async function runChildUntilKilled(childSeed: number, killAfter: number): Promise<Acknowledgement[]> {
  const command = [process.execPath, fixturePath, dir, String(childSeed)];
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + roundDeadlineMs;
  while ((text.match(/\n\{/g)?.length ?? 0) < killAfter && Date.now() < deadline) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  child.kill("SIGKILL");
  await child.exited;
  reader.releaseLock();
  expect(child.signalCode).toBe("SIGKILL");
  const lines = text.slice(0, text.lastIndexOf("\n")).split("\n").filter((line) => line.startsWith("{"));
  expect(lines.length).toBeGreaterThanOrEqual(killAfter);
  return lines.map((line) => JSON.parse(line) as Acknowledgement);
}

test("every acknowledged write of every group survives SIGKILL of the writing process, round after round", async () => {
  const random = seededRandom(seed);
  const acknowledged = new AcknowledgedGroups();
  for (let round = 0; round < roundCount; round++) {
    const spread = acknowledgementsBeforeKillMax - acknowledgementsBeforeKillMin;
    const killAfter = acknowledgementsBeforeKillMin + Math.floor(random() * spread);
    const acknowledgements = await runChildUntilKilled(Math.floor(random() * 2 ** 31), killAfter);
    for (const acknowledgement of acknowledgements) acknowledged.add(acknowledgement);
    const wal = await openSharedLog(dir, { segmentSizeBytes: 8 * 1024 });
    expect(wal.groupIds()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await acknowledged.check(wal, true);
    await wal.close();
  }
}, roundCount * roundDeadlineMs);
