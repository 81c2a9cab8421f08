/**
 * DurableRaftStorage over the core's MemoryStorage, for driver tests and the simulator-like
 * in-process cluster: persist() and compact() resolve on a later microtask, as a disk would
 * later, so a driver that forgets to await them is caught by its own tests. Writes run one at
 * a time in call order, as on disk. Nothing survives
 * the process.
 */
import { assert } from "../../util/assert.ts";
import { MemoryStorage } from "../raft/storage.ts";
import type { InitialState } from "../raft/storage.ts";
import type { ConfState, Entry, Snapshot } from "../raft/types.ts";
import { type DurableRaftStorage, type PersistBatch, type RaftStorageStats, zeroRaftStorageCounters } from "./types.ts";

export class MemoryRaftStorage implements DurableRaftStorage {
  private readonly memory: MemoryStorage;
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly counters = zeroRaftStorageCounters();

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.memory = new MemoryStorage(confState);
  }

  initialState(): InitialState {
    return this.memory.initialState();
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    this.counters.entryCacheHits++;
    return this.memory.entries(low, highExclusive, bytesMax);
  }

  term(index: number): number {
    return this.memory.term(index);
  }

  firstIndex(): number {
    return this.memory.firstIndex();
  }

  lastIndex(): number {
    return this.memory.lastIndex();
  }

  snapshot(): Snapshot {
    return this.memory.snapshot();
  }

  persist(batch: PersistBatch): Promise<void> {
    return this.enqueueWrite(() => this.persistNow(batch));
  }

  compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    return this.enqueueWrite(() => this.compactNow(throughIndex, snapshot));
  }

  /** Writes run one at a time in call order, each finishing on a later microtask. */
  private enqueueWrite(work: () => void): Promise<void> {
    const run = this.writeQueue.then(work).then(() => Promise.resolve());
    this.writeQueue = run.catch(() => {});
    return run;
  }

  private persistNow(batch: PersistBatch): void {
    if (batch.snapshot !== undefined) {
      this.memory.applySnapshot(batch.snapshot);
      this.counters.snapshotsWritten++;
    }
    if (batch.entries.length > 0) {
      const overwritten = Math.max(0, this.memory.lastIndex() - batch.entries[0].index + 1);
      this.counters.entriesTruncated += overwritten;
      this.memory.append([...batch.entries]);
      this.counters.entriesAppended += batch.entries.length;
    }
    if (batch.hardState !== undefined) {
      this.memory.setHardState(batch.hardState);
      this.counters.hardStateWrites++;
    }
    this.counters.persistCount++;
  }

  private compactNow(throughIndex: number, snapshot: Snapshot): void {
    const { index, confState } = snapshot.metadata;
    assert(throughIndex <= index, "compact: entries past the snapshot");
    assert(snapshot.metadata.term === this.memory.term(index), "compact: snapshot term differs from the log");
    this.memory.createSnapshot(index, confState, snapshot.data);
    this.memory.compact(throughIndex);
    this.counters.snapshotsWritten++;
  }

  async close(): Promise<void> {}

  stats(): RaftStorageStats {
    return { ...this.counters, logSizeBytes: 0 };
  }
}
