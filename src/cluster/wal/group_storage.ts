/**
 * One group's view of the shared log: the DurableRaftStorage a group's driver uses (the core's
 * synchronous Storage plus persist/compact/close/stats; src/cluster/storage/types.ts), over the
 * records of that group in the node's one shared log (shared_log.ts).
 *
 * persist() does its work at once, in call order: it appends the batch's records to the shared
 * log and applies them to the group's state in memory (reads see them at once), then returns a
 * promise that resolves when the log's group commit has made them durable. Since every group
 * appends to the same log, the persists of many groups in one turn share one write and one
 * fdatasync. The records of one batch, in the order that keeps every crash state valid:
 *   1. a new term or vote (hard state with the old commit): durable before any message of that term;
 *   2. a snapshot from the leader: its image file first (durable), then its record (reset);
 *   3. the entries, in records of at most entriesRecordBytesMax;
 *   4. a new commit index (hard state), appended without waiting for the disk: Raft's commit is
 *      volatile (§3.8), and a follower learning a commit alone must not cost an fdatasync. It is
 *      written by the next flush of any group (or close) and, being later in the log than the
 *      entries it covers, never survives a crash without them.
 * A persist that only moves the commit therefore resolves as soon as the group's earlier writes
 * have (call order is kept). compact() appends one snapshot record (after the image file) and
 * resolves once it is durable; the image it replaces is removed after that.
 */
import { assert, fail } from "../../util/assert.ts";
import type { SegmentedLog } from "../../log/segmented_log.ts";
import { cloneConfState } from "../raft/config_entry.ts";
import { CompactedError } from "../raft/errors.ts";
import type { InitialState } from "../raft/storage.ts";
import type { Entry, HardState, Snapshot } from "../raft/types.ts";
import type { DurableRaftStorage, PersistBatch, RaftStorageStats } from "../storage/types.ts";
import { appendAndApply, appendEntryRecords, readEntries } from "./group_records.ts";
import type { GroupState } from "./group_state.ts";
import type { SnapshotStore } from "./snapshot_store.ts";
import { encodeHardStateRecord, encodeSnapshotRecord, type SnapshotRecord } from "./wal_record_format.ts";

/** What a group's view needs of the shared log that owns it. */
export interface SharedLogAccess {
  readonly log: SegmentedLog;
  readonly snapshots: SnapshotStore;
  /** Called once when the view closes. */
  viewClosed(view: GroupStorage): void;
  /** An image no record needs any more could not be removed (it is removed at the next open). */
  removalFailed(groupId: number, error: unknown): void;
}

export class GroupStorage implements DurableRaftStorage {
  /** Resolves when every write so far is durable; never rejects (failures go to their callers). */
  private lastWrite: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly shared: SharedLogAccess,
    private readonly state: GroupState,
  ) {}

  get groupId(): number {
    return this.state.groupId;
  }

  initialState(): InitialState {
    return { hardState: { ...this.state.hardState }, confState: cloneConfState(this.state.snapshot.confState) };
  }

  firstIndex(): number {
    return this.state.firstIndex();
  }

  lastIndex(): number {
    return this.state.lastIndex();
  }

  term(index: number): number {
    const anchor = this.state.entries.anchorIndex();
    if (index < anchor) throw new CompactedError(`term of ${index}: compacted up to ${anchor}`);
    if (!(index <= this.lastIndex())) fail(`term of ${index}: beyond last index ${this.lastIndex()}`);
    return this.state.entries.termAt(index);
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    if (low < this.firstIndex()) {
      throw new CompactedError(`entries from ${low}: compacted up to ${this.firstIndex() - 1}`);
    }
    if (!(highExclusive <= this.lastIndex() + 1)) {
      fail(`entries up to ${highExclusive}: beyond last index ${this.lastIndex()}`);
    }
    return readEntries(this.shared.log, this.state, low, highExclusive, bytesMax);
  }

  snapshot(): Snapshot {
    this.state.snapshotImage ??= this.shared.snapshots.load(this.state.groupId, this.state.snapshot);
    return this.state.snapshotImage;
  }

  persist(batch: PersistBatch): Promise<void> {
    this.checkOpen();
    try {
      return this.persistNow(batch);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    this.checkOpen();
    try {
      return this.compactNow(throughIndex, snapshot);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lastWrite;
    this.shared.viewClosed(this);
  }

  /** Closes the view at once (its group was removed, or the shared log closes). */
  detach(): void {
    this.closed = true;
  }

  stats(): RaftStorageStats {
    return { ...this.state.counters, logSizeBytes: this.shared.log.sizeBytes() };
  }

  private persistNow(batch: PersistBatch): Promise<void> {
    const state = this.state;
    const next = batch.hardState;
    let durable: Promise<number> | null = null;
    let replacedImage = 0;
    if (next !== undefined && (next.term !== state.hardState.term || next.vote !== state.hardState.vote)) {
      const carriesEntries = batch.entries.length > 0 || batch.snapshot !== undefined;
      durable = this.appendHardState({ ...next, commit: carriesEntries ? state.hardState.commit : next.commit }, true);
    }
    if (batch.snapshot !== undefined) {
      replacedImage = state.snapshot.fileSequence;
      durable = this.installSnapshot(batch.snapshot);
    }
    if (batch.entries.length > 0) durable = this.appendEntries(batch.entries) ?? durable;
    if (next !== undefined && next.commit !== state.hardState.commit) this.appendHardState(next, false);
    state.counters.persistCount++;
    return this.track(durable, replacedImage);
  }

  private compactNow(throughIndex: number, snapshot: Snapshot): Promise<void> {
    const { index, term, confState } = snapshot.metadata;
    if (throughIndex > index) fail(`compact through ${throughIndex}: past the snapshot at ${index}`);
    assert(index >= this.state.snapshot.index, "compact: snapshot older than the stored one");
    assert(index <= this.lastIndex() && term === this.term(index), "compact: snapshot does not match the log");
    const anchorIndex = Math.max(this.state.entries.anchorIndex(), throughIndex);
    const anchorTerm = this.term(anchorIndex);
    const replacedImage = this.state.snapshot.fileSequence;
    const fileSequence = this.shared.snapshots.store(this.state.groupId, snapshot);
    const record: SnapshotRecord = {
      index, term, confState: cloneConfState(confState), anchorIndex, anchorTerm, fileSequence, reset: false,
    };
    const durable = this.appendSnapshotRecord(record, snapshot);
    return this.track(durable, replacedImage);
  }

  /** A snapshot from the leader replaces the whole log: every entry goes, its index is the anchor. */
  private installSnapshot(snapshot: Snapshot): Promise<number> {
    const { index, term, confState } = snapshot.metadata;
    assert(index >= this.state.snapshot.index, "installing a snapshot older than the stored one");
    const fileSequence = this.shared.snapshots.store(this.state.groupId, snapshot);
    const record: SnapshotRecord = {
      index, term, confState: cloneConfState(confState),
      anchorIndex: index, anchorTerm: term, fileSequence, reset: true,
    };
    return this.appendSnapshotRecord(record, snapshot);
  }

  private appendSnapshotRecord(record: SnapshotRecord, snapshot: Snapshot): Promise<number> {
    const state = this.state;
    const durable = appendAndApply(this.shared.log, encodeSnapshotRecord(state.groupId, record), (location) => {
      state.applySnapshot(record, location);
      const metadata = { index: record.index, term: record.term, confState: record.confState };
      state.snapshotImage = { metadata, data: snapshot.data };
    });
    state.counters.snapshotsWritten++;
    return durable;
  }

  private appendHardState(hardState: HardState, wait: true): Promise<number>;
  private appendHardState(hardState: HardState, wait: false): void;
  private appendHardState(hardState: HardState, wait: boolean): Promise<number> | void {
    const state = this.state;
    if (hardState.term < state.hardState.term) {
      fail(`hard state term going back from ${state.hardState.term} to ${hardState.term}`);
    }
    if (!(hardState.commit <= state.lastIndex())) {
      fail(`commit ${hardState.commit} beyond the last entry ${state.lastIndex()}`);
    }
    const payload = encodeHardStateRecord(state.groupId, hardState);
    state.counters.hardStateWrites++;
    const apply = (location: number) => state.applyHardState(hardState, location);
    if (wait) return appendAndApply(this.shared.log, payload, apply);
    apply(this.shared.log.appendWithoutWaiting([payload]));
  }

  /** Not every batch's entries need writing: those at or below the anchor are skipped. */
  private appendEntries(received: readonly Entry[]): Promise<number> | null {
    const state = this.state;
    if (received[0].index > state.lastIndex() + 1) {
      fail(`append at ${received[0].index} leaves a gap after ${state.lastIndex()}`);
    }
    const skipped = Math.max(0, state.entries.anchorIndex() + 1 - received[0].index);
    if (skipped >= received.length) return null;
    const entries = skipped === 0 ? received : received.slice(skipped);
    const first = entries[0].index;
    if (first <= state.lastIndex()) {
      state.counters.entriesTruncated += state.lastIndex() - first + 1;
      state.recent.truncateAfter(first - 1);
    }
    const durable = appendEntryRecords(this.shared.log, state, entries);
    for (const entry of entries) state.recent.add(entry);
    state.counters.entriesAppended += entries.length;
    return durable;
  }

  /** The caller's promise for a write; `replacedImage` is removed once the write is durable. */
  private track(durable: Promise<number> | null, replacedImage: number): Promise<void> {
    if (durable === null) return this.lastWrite;
    const groupId = this.state.groupId;
    const current = this.state.snapshot.fileSequence;
    const done = durable.then(() => {
      if (replacedImage === 0 || replacedImage === current) return;
      try {
        this.shared.snapshots.remove(groupId, replacedImage);
      } catch (error) {
        this.shared.removalFailed(groupId, error);
      }
    });
    this.lastWrite = done.catch(() => {});
    return done;
  }

  private checkOpen(): void {
    assert(!this.closed, `group ${this.state.groupId}: storage used after close`);
  }
}
