/**
 * The disk Raft storage under SIGKILL: every acknowledged hard state and committed entry
 * survives the death of the process that persisted it (a spawned fixture).
 */
import { afterAll, expect, test } from "bun:test";
import path from "node:path";
import { RaftDiskStorage } from "../../../src/cluster/storage/raft_disk_storage.ts";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "./helpers.ts";

const fixturePath = path.join(import.meta.dir, "fixtures", "persist_child.ts");
const roundCount = 4;
/** Fixed seed: a failing run replays the same kill points and batches. */
const seed = 6_2026;
/** Acknowledged persists to wait for before SIGKILL: between these, chosen by the seeded PRNG. */
const acknowledgementsBeforeKillMin = 20;
const acknowledgementsBeforeKillMax = 300;
/** A round that sees too few acknowledgements in this time has failed (bounds the test). */
const roundDeadlineMs = 30_000;

const dir = makeTemporaryDirectory("crash");
afterAll(() => removeTemporaryDirectory(dir));

interface Acknowledgement {
  term: number;
  vote: number;
  commit: number;
  first: number;
  last: number;
}

async function runChildUntilKilled(childSeed: number, killAfter: number): Promise<Acknowledgement[]> {
  const child = Bun.spawn([process.execPath, fixturePath, dir, String(childSeed)], { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + roundDeadlineMs;
  while ((text.match(/\nack /g)?.length ?? 0) < killAfter && Date.now() < deadline) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  child.kill("SIGKILL");
  await child.exited;
  reader.releaseLock();
  expect(child.signalCode).toBe("SIGKILL");
  const lines = text.slice(0, text.lastIndexOf("\n")).split("\n").filter((line) => line.startsWith("ack "));
  expect(lines.length).toBeGreaterThanOrEqual(killAfter);
  return lines.map((line) => {
    const [term, vote, commit, first, last] = line.split(" ").slice(1).map(Number);
    return { term, vote, commit, first, last };
  });
}

test("every acknowledged hard state and committed entry survives SIGKILL of the persisting process", async () => {
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  /** Term of each index as last acknowledged: the expected log. */
  const termByIndex = new Map<number, number>();
  for (let round = 0; round < roundCount; round++) {
    const killAfter = acknowledgementsBeforeKillMin + Math.floor(random() * (acknowledgementsBeforeKillMax - acknowledgementsBeforeKillMin));
    const acknowledgements = await runChildUntilKilled(Math.floor(random() * 2 ** 31), killAfter);
    for (const ack of acknowledgements) {
      for (const index of [...termByIndex.keys()]) if (index >= ack.first) termByIndex.delete(index);
      for (let index = ack.first; index <= ack.last; index++) termByIndex.set(index, ack.term);
    }
    const newest = acknowledgements[acknowledgements.length - 1];
    const storage = await RaftDiskStorage.open(dir, { fsync: "always" });
    const { hardState } = storage.initialState();
    expect(hardState.term).toBeGreaterThanOrEqual(newest.term);
    if (hardState.term === newest.term) expect(hardState.vote).toBe(newest.vote);
    expect(hardState.commit).toBeGreaterThanOrEqual(newest.commit);
    expect(storage.lastIndex()).toBeGreaterThanOrEqual(newest.commit);
    const committed = storage.entries(1, newest.commit + 1, Number.MAX_SAFE_INTEGER);
    expect(committed.length).toBe(newest.commit);
    for (const entry of committed) {
      expect(entry.term).toBe(termByIndex.get(entry.index)!);
      expect(new TextDecoder().decode(entry.data)).toBe(`${entry.index}@${entry.term}`);
    }
    // Entries written but not acknowledged before the kill are the next round's starting log.
    for (const entry of storage.entries(newest.commit + 1, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER)) {
      termByIndex.set(entry.index, entry.term);
    }
    await storage.close();
  }
}, roundCount * roundDeadlineMs);
