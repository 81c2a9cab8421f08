/**
 * A simulated disk under the real replica driver: a DurableRaftStorage whose writes become
 * durable only when the simulation says. Reads see every write at once (the storage contract:
 * the driver reads what it just handed to persist()), while the durable copy, what a crash
 * keeps, moves only as the world completes writes, in call order. A write may be completed at
 * once, held over later steps (a slow fsync, while the driver keeps stepping), or cut by a crash
 * at a point inside it: before anything is durable, after its snapshot and entries but before its
 * hard state, or after all of it but before the driver hears so. A crash throws away every write
 * not durable, and the next process reads the durable copy alone; its promises never settle.
 */
import { MemoryStorage, type InitialState } from "../../src/cluster/raft/storage.ts";
import type { Entry, HardState, Snapshot } from "../../src/cluster/raft/types.ts";
import type { DurableRaftStorage, PersistBatch, RaftStorageStats } from "../../src/cluster/storage/types.ts";
import { zeroRaftStorageCounters } from "../../src/cluster/storage/types.ts";
import type { ConfState } from "../../src/cluster/raft/types.ts";

/** Where in a write a crash strikes: each leaves a different prefix on disk. */
export type CrashPoint = "beforePersist" | "afterEntries" | "afterPersist" | "none";

/**
 * What the world decided for a write when it was made: a crash at a point inside it (and whether
 * the messages sent before it died with the process), or, without a crash, whether it is slow.
 */
export interface WritePlan {
  point: CrashPoint;
  earlyMessagesLost: boolean;
  holdWrite: boolean;
  /** Complete the write, then crash once what the driver sent after it has left. */
  crashAfterSend: boolean;
}

const completeAtOnce: WritePlan = { point: "none", earlyMessagesLost: false, holdWrite: false, crashAfterSend: false };

/** Told as a write's parts reach the durable copy (the safety monitor's view of a disk). */
export interface DiskObserver {
  /** Before `batch`'s entries replace the durable log's tail from entries[0].index. */
  beforePersist(batch: PersistBatch): void;
  /** After they are durable. */
  persisted(batch: PersistBatch): void;
}

type PendingWrite = { resolve: () => void; plan: WritePlan; held: boolean } & (
  | { kind: "persist"; batch: PersistBatch }
  | { kind: "compact"; throughIndex: number; snapshot: Snapshot }
);

export class SimulatedDisk implements DurableRaftStorage {
  /** What survives a crash. */
  durable: MemoryStorage;
  /** What the driver reads: the durable copy with every pending write applied. */
  private live: MemoryStorage;
  private pending: PendingWrite[] = [];
  private readonly counters = zeroRaftStorageCounters();
  /**
   * Asked at each persist() call what becomes of the write (a compaction is never cut or held),
   * with the hard state written before it.
   */
  planWrite: (batch: PersistBatch, previous: HardState) => WritePlan = () => completeAtOnce;

  constructor(
    confState: ConfState,
    private readonly observer: DiskObserver,
  ) {
    this.durable = new MemoryStorage(confState);
    this.live = new MemoryStorage(confState);
  }

  initialState(): InitialState {
    return this.live.initialState();
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    return this.live.entries(low, highExclusive, bytesMax);
  }

  term(index: number): number {
    return this.live.term(index);
  }

  firstIndex(): number {
    return this.live.firstIndex();
  }

  lastIndex(): number {
    return this.live.lastIndex();
  }

  snapshot(): Snapshot {
    return this.live.snapshot();
  }

  persist(batch: PersistBatch): Promise<void> {
    const plan = this.planWrite(batch, this.live.initialState().hardState);
    writeBatch(this.live, batch);
    this.counters.persistCount++;
    return new Promise((resolve) => this.pending.push({ kind: "persist", batch, resolve, plan, held: false }));
  }

  compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    compactInto(this.live, throughIndex, snapshot);
    this.counters.snapshotsWritten++;
    return new Promise((resolve) => {
      this.pending.push({ kind: "compact", throughIndex, snapshot, resolve, plan: completeAtOnce, held: false });
    });
  }

  async close(): Promise<void> {}

  stats(): RaftStorageStats {
    return { ...this.counters, logSizeBytes: 0 };
  }

  /** The oldest write not yet durable: its plan, and whether it is already held (slow) since an earlier step. */
  firstPending(): { plan: WritePlan; held: boolean } | undefined {
    return this.pending[0];
  }

  /** Holds every pending write over to later steps (a slow write). */
  hold(): void {
    for (const write of this.pending) write.held = true;
  }

  /** Makes every pending write durable, in order, and tells the driver. */
  completeAll(): void {
    while (this.pending.length > 0) this.completeNext(true);
  }

  /**
   * A crash: keeps the durable copy, plus what `point` says of the first pending write, and
   * drops the rest; the next process reads the durable copy. Promises never settle.
   */
  crash(point: CrashPoint): void {
    const first = this.pending[0];
    if (first !== undefined && point === "afterPersist") this.completeNext(false);
    const entriesOnly = first?.kind === "persist" && point === "afterEntries";
    if (entriesOnly) this.makeDurable({ ...first.batch, hardState: undefined });
    this.pending = [];
    this.live = cloneStorage(this.durable);
  }

  private completeNext(tellDriver: boolean): void {
    const write = this.pending.shift()!;
    if (write.kind === "persist") this.makeDurable(write.batch);
    else compactInto(this.durable, write.throughIndex, write.snapshot);
    if (tellDriver) write.resolve();
  }

  private makeDurable(batch: PersistBatch): void {
    if (batch.snapshot !== undefined) this.durable.applySnapshot(batch.snapshot);
    this.observer.beforePersist(batch);
    if (batch.entries.length > 0) this.durable.append([...batch.entries]);
    this.observer.persisted(batch);
    if (batch.hardState !== undefined) this.durable.setHardState(batch.hardState);
  }
}

function writeBatch(storage: MemoryStorage, batch: PersistBatch): void {
  if (batch.snapshot !== undefined) storage.applySnapshot(batch.snapshot);
  if (batch.entries.length > 0) storage.append([...batch.entries]);
  if (batch.hardState !== undefined) storage.setHardState(batch.hardState);
}

function compactInto(storage: MemoryStorage, throughIndex: number, snapshot: Snapshot): void {
  storage.createSnapshot(snapshot.metadata.index, snapshot.metadata.confState, snapshot.data);
  storage.compact(throughIndex);
}

/**
 * A copy of `source` built through its public operations: its oldest kept entry's predecessor
 * stands as a stand-in snapshot, the kept entries are appended, then its real snapshot (which
 * may lie inside the kept entries) and hard state are recorded.
 */
function cloneStorage(source: MemoryStorage): MemoryStorage {
  const snapshot = source.snapshot();
  const copy = new MemoryStorage(snapshot.metadata.confState);
  const base = source.firstIndex() - 1;
  if (base === snapshot.metadata.index) {
    if (base > 0) copy.applySnapshot(snapshot);
  } else {
    const standIn = { index: base, term: source.term(base), confState: snapshot.metadata.confState };
    copy.applySnapshot({ metadata: standIn, data: new Uint8Array(0) });
  }
  if (source.lastIndex() > base) copy.append(source.entries(base + 1, source.lastIndex() + 1, Infinity));
  const { index, confState } = snapshot.metadata;
  if (base !== index) copy.createSnapshot(index, confState, snapshot.data);
  copy.setHardState(source.initialState().hardState);
  return copy;
}
