/**
 * A Raft storage that forwards everything to another one, with its writes (persist, compact)
 * passed through `around`: how tests make a disk stall, interleave other groups' writes with a
 * case's own, or flush a simulated log at once, without copying the storage contract each time.
 */
import type { Entry, Snapshot } from "../../../src/cluster/raft/types.ts";
import type { InitialState } from "../../../src/cluster/raft/storage.ts";
import type { DurableRaftStorage, PersistBatch, RaftStorageStats } from "../../../src/cluster/storage/types.ts";

/** Runs one write (`write()` starts it); `batch` is the persist's, undefined for a compaction. */
export type AroundWrite = (write: () => Promise<void>, batch: PersistBatch | undefined) => Promise<void>;

export class WriteWrappedStorage implements DurableRaftStorage {
  constructor(
    private readonly inner: DurableRaftStorage,
    private readonly around: AroundWrite,
  ) {}

  initialState(): InitialState {
    return this.inner.initialState();
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    return this.inner.entries(low, highExclusive, bytesMax);
  }

  term(index: number): number {
    return this.inner.term(index);
  }

  firstIndex(): number {
    return this.inner.firstIndex();
  }

  lastIndex(): number {
    return this.inner.lastIndex();
  }

  snapshot(): Snapshot {
    return this.inner.snapshot();
  }

  persist(batch: PersistBatch): Promise<void> {
    return this.around(() => this.inner.persist(batch), batch);
  }

  compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    return this.around(() => this.inner.compact(throughIndex, snapshot), undefined);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  stats(): RaftStorageStats {
    return this.inner.stats();
  }
}
