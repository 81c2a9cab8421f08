/**
 * Conformance cases of DurableRaftStorage (the core's Storage read side plus persist and
 * compact), run against every implementation: memory_raft_storage.test.ts and
 * raft_disk_storage.test.ts. Each case gets a fresh storage from `open`.
 */
import { expect, test } from "bun:test";
import { entryBytes } from "../../../src/cluster/raft/entries.ts";
import { CompactedError } from "../../../src/cluster/raft/errors.ts";
import type { ConfState } from "../../../src/cluster/raft/types.ts";
import type { Ready } from "../../../src/cluster/raft/raw_node.ts";
import type { DurableRaftStorage, PersistBatch } from "../../../src/cluster/storage/types.ts";
import { entriesOf, hardState, plain, snapshotAt } from "./helpers.ts";

/** A Ready is what the driver hands to persist(): this fails to compile if the two drift apart. */
export const readyIsPersistBatch = (ready: Ready): PersistBatch => ready;

export type OpenStorage = (initialConfState: ConfState) => Promise<DurableRaftStorage>;

const threeVoters: ConfState = { voters: [1, 2, 3], learners: [] };
const unlimitedBytes = Number.MAX_SAFE_INTEGER;

/** Declares one case: a test that gets a fresh storage and closes it after. */
type StorageCase = (title: string, body: (storage: DurableRaftStorage) => Promise<void>) => void;

export function runStorageContract(name: string, open: OpenStorage): void {
  const withStorage: StorageCase = (title, body) =>
    test(`${name}: ${title}`, async () => {
      const storage = await open(threeVoters);
      try {
        await body(storage);
      } finally {
        await storage.close();
      }
    });
  logCases(withStorage);
  compactionCases(withStorage);
}

/** A new storage, and entries and hard state persisted, read back and replaced. */
function logCases(withStorage: StorageCase): void {
  withStorage("a new storage is empty at index 0 with the initial membership", async (storage) => {
    expect(storage.firstIndex()).toBe(1);
    expect(storage.lastIndex()).toBe(0);
    expect(storage.term(0)).toBe(0);
    expect(storage.initialState()).toEqual({ hardState: hardState(0, 0, 0), confState: threeVoters });
    expect(storage.snapshot().metadata).toEqual({ index: 0, term: 0, confState: threeVoters });
    expect(storage.entries(1, 1, unlimitedBytes)).toEqual([]);
  });

  withStorage("persisted entries and hard state read back", async (storage) => {
    await storage.persist({ hardState: hardState(2, 1, 3), entries: [...entriesOf(1, 3, 1), ...entriesOf(4, 5, 2)] });
    expect(storage.lastIndex()).toBe(5);
    expect([1, 2, 3, 4, 5].map((index) => storage.term(index))).toEqual([1, 1, 1, 2, 2]);
    expect(plain(storage.entries(2, 5, unlimitedBytes))).toEqual(plain([...entriesOf(2, 3, 1), ...entriesOf(4, 4, 2)]));
    expect(storage.initialState().hardState).toEqual(hardState(2, 1, 3));
  });

  withStorage("entries() stops at bytesMax but returns at least one entry", async (storage) => {
    await storage.persist({ entries: entriesOf(1, 10, 1) });
    expect(storage.entries(1, 11, 0).map((entry) => entry.index)).toEqual([1]);
    const oneEntryBytes = entryBytes(entriesOf(1, 1, 1)[0]);
    expect(storage.entries(1, 11, oneEntryBytes * 3).map((entry) => entry.index)).toEqual([1, 2, 3]);
  });

  withStorage("a conflicting suffix is replaced by the new entries", async (storage) => {
    await storage.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 6, 1) });
    await storage.persist({ hardState: hardState(2, 2, 2), entries: entriesOf(4, 5, 2) });
    expect(storage.lastIndex()).toBe(5);
    expect(plain(storage.entries(1, 6, unlimitedBytes))).toEqual(plain([...entriesOf(1, 3, 1), ...entriesOf(4, 5, 2)]));
    await storage.persist({ entries: entriesOf(6, 7, 2) });
    expect(storage.lastIndex()).toBe(7);
    expect(storage.term(6)).toBe(2);
  });
}

/** Compaction, snapshots from the leader, and the order of writes. */
function compactionCases(withStorage: StorageCase): void {
  withStorage("compaction keeps entries after the cut and the snapshot", async (storage) => {
    await storage.persist({ hardState: hardState(1, 1, 10), entries: entriesOf(1, 10, 1) });
    await storage.compact(5, snapshotAt(7, 1, [1, 2, 3], "image@7"));
    expect(storage.firstIndex()).toBe(6);
    expect(storage.lastIndex()).toBe(10);
    expect(storage.term(5)).toBe(1);
    expect(() => storage.term(4)).toThrow(CompactedError);
    expect(() => storage.entries(5, 6, unlimitedBytes)).toThrow(CompactedError);
    expect(plain(storage.entries(6, 11, unlimitedBytes))).toEqual(plain(entriesOf(6, 10, 1)));
    expect(storage.snapshot().metadata.index).toBe(7);
    expect(new TextDecoder().decode(storage.snapshot().data)).toBe("image@7");
  });

  withStorage("a snapshot from the leader replaces the log; appends continue after it", async (storage) => {
    await storage.persist({ hardState: hardState(1, 1, 2), entries: entriesOf(1, 4, 1) });
    const received = snapshotAt(20, 3, [1, 2, 3, 4], "image@20");
    await storage.persist({ hardState: hardState(3, 0, 20), entries: [], snapshot: received });
    expect(storage.firstIndex()).toBe(21);
    expect(storage.lastIndex()).toBe(20);
    expect(storage.term(20)).toBe(3);
    expect(storage.initialState()).toEqual({ hardState: hardState(3, 0, 20), confState: { voters: [1, 2, 3, 4], learners: [] } });
    await storage.persist({ entries: entriesOf(21, 22, 3) });
    expect(plain(storage.entries(21, 23, unlimitedBytes))).toEqual(plain(entriesOf(21, 22, 3)));
  });

  withStorage("entries at or before the compaction point are skipped on append", async (storage) => {
    await storage.persist({ hardState: hardState(1, 1, 6), entries: entriesOf(1, 6, 1) });
    await storage.compact(4, snapshotAt(4, 1, [1, 2, 3], "image@4"));
    await storage.persist({ entries: entriesOf(3, 8, 1) });
    expect(storage.firstIndex()).toBe(5);
    expect(storage.lastIndex()).toBe(8);
    expect(plain(storage.entries(5, 9, unlimitedBytes))).toEqual(plain(entriesOf(5, 8, 1)));
  });

  withStorage("writes run in call order without awaiting each", async (storage) => {
    const first = storage.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 5, 1) });
    const second = storage.persist({ hardState: hardState(1, 1, 5), entries: entriesOf(6, 8, 1) });
    const third = storage.compact(3, snapshotAt(5, 1, [1, 2, 3], "image@5"));
    await Promise.all([first, second, third]);
    expect(storage.firstIndex()).toBe(4);
    expect(storage.lastIndex()).toBe(8);
    expect(storage.initialState().hardState).toEqual(hardState(1, 1, 5));
  });
}
