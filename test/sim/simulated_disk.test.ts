/**
 * The simulator's disk (simulated_disk.ts): with every write completed at once it passes the
 * Raft storage contract (test/cluster/storage/storage_contract.ts), as the real storages do; and
 * a crash keeps exactly the durable prefix its point says (nothing, the entries without the hard
 * state, or the whole write), while reads saw every write at once and a slow write becomes
 * durable only when completed. A compacted disk restarts with the same snapshot, entries and
 * hard state.
 */
import { describe, expect, test } from "bun:test";
import type { ConfState, HardState, Snapshot } from "../../src/cluster/raft/types.ts";
import type { PersistBatch } from "../../src/cluster/storage/types.ts";
import { entriesOf, hardState, plain, snapshotAt } from "../cluster/storage/helpers.ts";
import { runStorageContract } from "../cluster/storage/storage_contract.ts";
import { SimulatedDisk } from "./simulated_disk.ts";

const threeVoters: ConfState = { voters: [1, 2, 3], learners: [] };
const unobserved = { beforePersist: () => {}, persisted: () => {} };

/** Completes each write as soon as it is made: a disk that is never slow and never crashes. */
class ImmediateDisk extends SimulatedDisk {
  override persist(batch: PersistBatch): Promise<void> {
    const written = super.persist(batch);
    this.completeAll();
    return written;
  }

  override compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    const written = super.compact(throughIndex, snapshot);
    this.completeAll();
    return written;
  }
}

runStorageContract("SimulatedDisk", async (confState) => new ImmediateDisk(confState, unobserved));

/** A disk holding entries 1-3 and hard state (1, 1, 2) durably, then a pending write of entries 4-5 and (2, 0, 3). */
function diskWithPendingWrite(): { disk: SimulatedDisk; settled: () => boolean } {
  const disk = new SimulatedDisk(threeVoters, unobserved);
  void disk.persist({ entries: entriesOf(1, 3, 1), hardState: hardState(1, 1, 2) });
  disk.completeAll();
  let settled = false;
  void disk.persist({ entries: entriesOf(4, 5, 2), hardState: hardState(2, 0, 3) }).then(() => (settled = true));
  return { disk, settled: () => settled };
}

describe("simulated disk", () => {
  test("reads see a pending write at once; it is durable only once completed", async () => {
    const { disk, settled } = diskWithPendingWrite();
    expect(disk.lastIndex()).toBe(5);
    expect(disk.durable.lastIndex()).toBe(3);
    disk.hold();
    expect(disk.firstPending()?.held).toBe(true);
    await Promise.resolve();
    expect(settled()).toBe(false);
    disk.completeAll();
    await Promise.resolve();
    expect(settled()).toBe(true);
    expect(disk.durable.lastIndex()).toBe(5);
    expect(disk.durable.initialState().hardState).toEqual(hardState(2, 0, 3));
  });

  test("a crash keeps the durable prefix its point says, and the next process reads only that", async () => {
    const keeps: Record<"beforePersist" | "afterEntries" | "afterPersist", [number, HardState]> = {
      beforePersist: [3, hardState(1, 1, 2)],
      afterEntries: [5, hardState(1, 1, 2)],
      afterPersist: [5, hardState(2, 0, 3)],
    };
    for (const [point, [lastIndex, kept]] of Object.entries(keeps)) {
      const { disk, settled } = diskWithPendingWrite();
      disk.crash(point as keyof typeof keeps);
      await Promise.resolve();
      const { hardState: stateAfter } = disk.initialState();
      const after = { point, settled: settled(), lastIndex: disk.lastIndex(), hardState: stateAfter };
      expect(after).toEqual({ point, settled: false, lastIndex, hardState: kept });
      expect(disk.durable.lastIndex()).toBe(lastIndex);
    }
  });

  test("a compacted disk with a kept tail restarts with the same snapshot, entries and hard state", () => {
    const disk = new ImmediateDisk(threeVoters, unobserved);
    void disk.persist({ entries: entriesOf(1, 8, 1), hardState: hardState(1, 2, 8) });
    void disk.compact(4, snapshotAt(6, 1, [1, 2, 3], "state at 6"));
    disk.crash("beforePersist");
    expect([disk.firstIndex(), disk.lastIndex(), disk.snapshot().metadata.index]).toEqual([5, 8, 6]);
    expect(new TextDecoder().decode(disk.snapshot().data)).toBe("state at 6");
    expect(plain(disk.entries(5, 9, Infinity))).toEqual(plain(entriesOf(5, 8, 1)));
    expect(disk.term(4)).toBe(1);
    expect(disk.initialState()).toEqual({ hardState: hardState(1, 2, 8), confState: threeVoters });
  });
});
