/**
 * The simulator's record log on its simulated disk (simulated_record_log.ts, simulated_wal_disk.ts)
 * under the real shared log: with every flush completed at once, a group's view of it passes the
 * Raft storage contract, as on files; the persists of many groups in one turn share one write and
 * one fdatasync and resolve only when the fdatasync completes on the simulated clock; a power
 * loss during that fdatasync takes every group's unsynced tail at once; a torn tail is cut and
 * reported by the real recovery; and over seeded rounds of writes, compactions and crashes, what
 * the recovery finds for every group is exactly what the disk held durably (durable_groups.ts).
 */
import { describe, expect, test } from "bun:test";
import { randomInteger, seededRandom } from "../../src/cluster/raft/random.ts";
import type { ConfState } from "../../src/cluster/raft/types.ts";
import type { DurableRaftStorage } from "../../src/cluster/storage/types.ts";
import type { GroupStorage } from "../../src/cluster/wal/group_storage.ts";
import { SharedLog } from "../../src/cluster/wal/shared_log.ts";
import { SnapshotStore } from "../../src/cluster/wal/snapshot_store.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";
import { entriesOf, hardState, snapshotAt } from "../cluster/storage/helpers.ts";
import { runStorageContract } from "../cluster/storage/storage_contract.ts";
import { WriteWrappedStorage } from "../cluster/storage/write_wrapped_storage.ts";
import { SimulatedRecordLog } from "./simulated_record_log.ts";
import { SimulatedWalDisk } from "./simulated_wal_disk.ts";

const threeVoters: ConfState = { voters: [1, 2, 3], learners: [] };
const noFaults = { acknowledgeBeforeSync: false };
const unobserved = { beforeDurable: () => {}, durable: () => {} };

/** A process on `disk`: its record log, the real shared log over it, and its clock. */
function openProcess(disk: SimulatedWalDisk, segmentSizeBytes = 4096) {
  const log = SimulatedRecordLog.open(disk, segmentSizeBytes, noFaults);
  const sharedLog = SharedLog.openOn(log, new SnapshotStore(disk.snapshotFiles), disk.name);
  return { log, sharedLog, clock: new SimulatedClock() };
}

type Process = ReturnType<typeof openProcess>;

/** The world's disk phase, at once: a due flush is written and its fdatasync completes now. */
function flushNow(process: Process): void {
  if (!process.log.wantsFlush()) return;
  process.log.write();
  process.log.startSync(0, process.clock);
  process.log.announceCompletions();
}

/** Opens `group` of the process (a new one's first record flushed at once). */
async function openGroup(process: Process, group: number): Promise<GroupStorage> {
  const opening = process.sharedLog.openGroup(group, threeVoters);
  flushNow(process);
  return opening;
}

/** A group's storage whose every write is flushed at once: a disk that is never slow. */
function flushedAtOnce(inner: GroupStorage, process: Process): DurableRaftStorage {
  return new WriteWrappedStorage(inner, (write) => {
    const written = write();
    flushNow(process);
    return written;
  });
}

const contractProcess = openProcess(new SimulatedWalDisk("contract", unobserved), 512);
let contractGroup = 0;
runStorageContract("GroupStorage on the simulated record log", async () => {
  return flushedAtOnce(await openGroup(contractProcess, ++contractGroup), contractProcess);
});

/** Three groups on a new disk, each holding entry 1 of term 1 durably. */
async function threeDurableGroups() {
  const disk = new SimulatedWalDisk("n1", unobserved);
  const process = openProcess(disk);
  const groups = [await openGroup(process, 1), await openGroup(process, 2), await openGroup(process, 3)];
  const first = { hardState: hardState(1, 1, 0), entries: entriesOf(1, 1, 1) };
  const written = Promise.all(groups.map((group) => group.persist(first)));
  flushNow(process);
  await written;
  return { disk, process, groups };
}

/** Each group appends entries 2-3 in one turn; returns a flag per group set once its persist resolves. */
function appendOneTurn(groups: GroupStorage[]): boolean[] {
  const resolved = groups.map(() => false);
  groups.forEach((group, position) => {
    const batch = { hardState: hardState(1, 1, 1), entries: entriesOf(2, 3, 1) };
    void group.persist(batch).then(() => (resolved[position] = true));
  });
  return resolved;
}

describe("group commit on the simulated disk", () => {
  test("three groups' persists of one turn share one write and one fdatasync, resolved when it completes", async () => {
    const { disk, process, groups } = await threeDurableGroups();
    const before = process.log.stats();
    const resolved = appendOneTurn(groups);
    expect(process.log.write()).toBe(3);
    process.log.startSync(20, process.clock);
    process.clock.advance(19);
    process.log.announceCompletions();
    await Bun.sleep(0);
    expect(resolved).toEqual([false, false, false]);
    expect(disk.durable.view(1).lastIndex()).toBe(1);
    process.clock.advance(1);
    expect(disk.durable.view(1).lastIndex()).toBe(3);
    await Bun.sleep(0);
    expect(resolved).toEqual([false, false, false]);
    process.log.announceCompletions();
    await Bun.sleep(0);
    expect(resolved).toEqual([true, true, true]);
    const after = process.log.stats();
    expect([after.writeCount - before.writeCount, after.fdatasyncCount - before.fdatasyncCount]).toEqual([1, 1]);
    expect([1, 2, 3].map((group) => disk.durable.view(group).lastIndex())).toEqual([3, 3, 3]);
  });

  test("power lost during the fdatasync takes every group's unsynced tail; recovery finds each as it was", async () => {
    const { disk, process, groups } = await threeDurableGroups();
    const resolved = appendOneTurn(groups);
    process.log.write();
    process.log.startSync(50, process.clock);
    const keepNothing = () => 0;
    const tear = process.log.crash(keepNothing);
    expect({ kept: tear.keptBytes, torn: tear.torn, lost: tear.recordsLost, groups: tear.groupsLosingRecords })
      .toEqual({ kept: 0, torn: false, lost: 3, groups: [1, 2, 3] });
    process.clock.advance(100);
    await Bun.sleep(0);
    expect(resolved).toEqual([false, false, false]);
    const next = openProcess(disk);
    expect(next.sharedLog.groupIds()).toEqual([1, 2, 3]);
    for (const group of [1, 2, 3]) {
      const storage = await openGroup(next, group);
      expect(storage.lastIndex()).toBe(1);
      expect(disk.durable.differences(group, storage)).toBeNull();
    }
  });

  test("a torn tail is cut and reported by the real recovery; the whole records before the cut survive", async () => {
    for (const flip of [false, true]) {
      const { disk, process, groups } = await threeDurableGroups();
      appendOneTurn(groups);
      process.log.write();
      // A cut halfway into the unsynced bytes (inside the second group's record), its byte flipped or not.
      const draws = [0.9, 0.5, flip ? 0.1 : 0.9];
      const tear = process.log.crash(() => draws.shift()!);
      expect(tear.torn).toBe(true);
      const next = openProcess(disk);
      expect(next.log.recovery.tornTail?.bytesCut).toBeGreaterThan(0);
      const lastIndexes: number[] = [];
      for (const group of [1, 2, 3]) {
        const storage = await openGroup(next, group);
        lastIndexes.push(storage.lastIndex());
        expect(disk.durable.differences(group, storage)).toBeNull();
      }
      expect(lastIndexes).toEqual([3, 1, 1]);
    }
  });
});

describe("recovery finds exactly what the disk held durably", () => {
  test("over seeded rounds of writes, slow fdatasyncs, compactions and power losses, for every group", async () => {
    const random = seededRandom(16_0016);
    const disk = new SimulatedWalDisk("n1", unobserved);
    let tornTailsCut = 0;
    let segmentsDropped = 0;
    for (let round = 0; round < 40; round++) {
      const process = openProcess(disk, 1024);
      if (process.log.recovery.tornTail !== null) tornTailsCut++;
      const groups: GroupStorage[] = [];
      for (let group = 1; group <= 4; group++) {
        const recovered = process.sharedLog.groupIds().includes(group);
        const storage = await openGroup(process, group);
        if (recovered) expect(disk.durable.differences(group, storage)).toBeNull();
        groups.push(storage);
      }
      await writeRandomly(process, groups, random, round + 1);
      segmentsDropped += process.sharedLog.stats().segmentsDropped;
      process.log.crash(random);
    }
    const happened = { tornTailsCut: tornTailsCut > 0, segmentsDropped: segmentsDropped > 0 };
    expect(happened).toEqual({ tornTailsCut: true, segmentsDropped: true });
  });
});

/** Turns of appends (term `term`), snapshots and shared-log compactions, flushed with random latencies. */
async function writeRandomly(process: Process, groups: GroupStorage[], random: () => number, term: number) {
  for (let turn = 0; turn < 12; turn++) {
    for (const group of groups) {
      if (random() < 0.3) continue;
      const first = Math.max(group.firstIndex(), group.lastIndex() + 1 - randomInteger(random, 0, 2));
      const last = first + randomInteger(random, 0, 4);
      const commit = Math.min(group.lastIndex(), first - 1);
      void group.persist({ hardState: hardState(term, 1, commit), entries: entriesOf(first, last, term) });
      if (random() < 0.2 && group.lastIndex() > group.firstIndex()) {
        const index = group.lastIndex() - 1;
        void group.compact(index, snapshotAt(index, group.term(index), [1, 2, 3], `image ${index}`));
      }
    }
    if (random() < 0.2) void process.sharedLog.compactSegments();
    if (process.log.wantsFlush()) {
      process.log.write();
      process.log.startSync(randomInteger(random, 0, 30), process.clock);
    }
    process.clock.advance(10);
    process.log.announceCompletions();
    await Bun.sleep(0);
  }
}
