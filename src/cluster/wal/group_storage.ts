/**
 * One group's view of the shared log: the DurableRaftStorage a group's driver uses (the core's
 * synchronous Storage plus persist/compact/close/stats; src/cluster/storage/types.ts), over the
 * records of that group in the node's one shared log (shared_log.ts).
 *
 * persist() does its work at once, in call order: it appends the batch's records to the shared
 * log and applies them to the group's state in memory (reads see them at once), then returns the
 * promise every writer of the turn shares (RecordLog.flushed()), resolved when the log's group
 * commit has made them durable. Since every group appends to the same log, the persists of many
 * groups in one turn share one write and one fdatasync. The records of one batch, in the order
 * that keeps every crash state valid:
 *   1. a new term or vote (hard state with the old commit): durable before any message of that term;
 *   2. a snapshot from the leader: its image file first (durable), then its record (reset);
 *   3. the entries, in records of at most entriesRecordBytesMax, the last one carrying the new
 *      commit index (so the common persist, entries and a commit, is one record).
 * A new commit with no entries is a hard-state record appended without waiting for the disk:
 * Raft's commit is volatile (§3.8), and a follower learning a commit alone must not cost an
 * fdatasync. It is written by the next flush of any group (or close) and, being later in the log
 * than the entries it covers, never survives a crash without them. Such a persist resolves as
 * soon as the group's earlier writes have (call order is kept). compact() appends one snapshot
 * record (after the image file) and resolves once it is durable; the image it replaces is
 * removed after that.
 */
import { assert, fail } from "../../util/assert.ts";
import { cloneConfState } from "../raft/config_entry.ts";
import { CompactedError } from "../raft/errors.ts";
import type { InitialState } from "../raft/storage.ts";
import type { Entry, HardState, Snapshot } from "../raft/types.ts";
import type { DurableRaftStorage, PersistBatch, RaftStorageStats } from "../storage/types.ts";
import { appendEntryRecords, readEntries } from "./group_records.ts";
import type { GroupState } from "./group_state.ts";
import type { RecordLog } from "./record_log.ts";
import type { SnapshotStore } from "./snapshot_store.ts";
import { encodeHardStateRecord, encodeSnapshotRecord, type SnapshotRecord } from "./wal_record_format.ts";

/** What a group's view needs of the shared log that owns it. */
export interface SharedLogAccess {
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  /** log.flushed(), dated while it is unfinished (SharedLog.unfinishedWriteSinceMs). */
  flushed(): Promise<number>;
  /** Called once when the view closes. */
  viewClosed(view: GroupStorage): void;
  /** An image no record needs any more could not be removed (it is removed at the next open). */
  removalFailed(groupId: number, error: unknown): void;
}

export class GroupStorage implements DurableRaftStorage {
  /** Resolves when every write so far is durable (rejects when the log failed). */
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
    await this.lastWrite.catch(() => {});
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
    /** Whether the batch wrote what the caller must wait for (all but a commit alone). */
    let mustWait = false;
    let replacedImage = 0;
    if (next !== undefined && (next.term !== state.hardState.term || next.vote !== state.hardState.vote)) {
      const carriesEntries = batch.entries.length > 0 || batch.snapshot !== undefined;
      this.appendHardState({ ...next, commit: carriesEntries ? state.hardState.commit : next.commit });
      mustWait = true;
    }
    if (batch.snapshot !== undefined) {
      replacedImage = state.snapshot.fileSequence;
      this.installSnapshot(batch.snapshot);
      mustWait = true;
    }
    const commit = next !== undefined && next.commit !== state.hardState.commit ? next.commit : 0;
    const entriesWritten = batch.entries.length > 0 && this.appendEntries(batch.entries, commit);
    if (entriesWritten) mustWait = true;
    else if (commit > 0) this.appendHardState(next!);
    state.counters.persistCount++;
    return this.track(mustWait ? this.shared.flushed() : null, replacedImage);
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
    this.appendSnapshotRecord(record, snapshot);
    return this.track(this.shared.flushed(), replacedImage);
  }

  /** A snapshot from the leader replaces the whole log: every entry goes, its index is the anchor. */
  private installSnapshot(snapshot: Snapshot): void {
    const { index, term, confState } = snapshot.metadata;
    assert(index >= this.state.snapshot.index, "installing a snapshot older than the stored one");
    const fileSequence = this.shared.snapshots.store(this.state.groupId, snapshot);
    const record: SnapshotRecord = {
      index, term, confState: cloneConfState(confState),
      anchorIndex: index, anchorTerm: term, fileSequence, reset: true,
    };
    this.appendSnapshotRecord(record, snapshot);
  }

  private appendSnapshotRecord(record: SnapshotRecord, snapshot: Snapshot): void {
    const state = this.state;
    state.applySnapshot(record, this.shared.log.appendWithoutWaiting([encodeSnapshotRecord(state.groupId, record)]));
    const metadata = { index: record.index, term: record.term, confState: record.confState };
    state.snapshotImage = { metadata, data: snapshot.data };
    state.counters.snapshotsWritten++;
  }

  private appendHardState(hardState: HardState): void {
    const state = this.state;
    if (hardState.term < state.hardState.term) {
      fail(`hard state term going back from ${state.hardState.term} to ${hardState.term}`);
    }
    if (!(hardState.commit <= state.lastIndex())) {
      fail(`commit ${hardState.commit} beyond the last entry ${state.lastIndex()}`);
    }
    const payload = encodeHardStateRecord(state.groupId, hardState);
    state.applyHardState(hardState, this.shared.log.appendWithoutWaiting([payload]));
    state.counters.hardStateWrites++;
  }

  /**
   * Appends a batch's entries, their last record carrying the new `commit` (0: none); those at
   * or below the anchor are skipped. Returns whether any was written (and the commit with them).
   */
  private appendEntries(received: readonly Entry[], commit: number): boolean {
    const state = this.state;
    if (received[0].index > state.lastIndex() + 1) {
      fail(`append at ${received[0].index} leaves a gap after ${state.lastIndex()}`);
    }
    const skipped = Math.max(0, state.entries.anchorIndex() + 1 - received[0].index);
    if (skipped >= received.length) return false;
    const entries = skipped === 0 ? received : received.slice(skipped);
    const first = entries[0].index;
    if (first <= state.lastIndex()) {
      state.counters.entriesTruncated += state.lastIndex() - first + 1;
      state.recent.truncateAfter(first - 1);
    }
    const last = entries[entries.length - 1].index;
    if (!(commit <= last)) fail(`commit ${commit} beyond the last entry ${last}`);
    appendEntryRecords(this.shared.log, state, entries, commit);
    for (const entry of entries) state.recent.add(entry);
    state.counters.entriesAppended += entries.length;
    if (commit > 0) state.counters.hardStateWrites++;
    return true;
  }

  /**
   * The caller's promise for a write: the turn's shared one (no promise of its own in the common
   * case); `replacedImage` is removed once the write is durable.
   */
  private track(durable: Promise<number> | null, replacedImage: number): Promise<void> {
    if (durable === null) return this.lastWrite;
    const groupId = this.state.groupId;
    let done: Promise<unknown> = durable;
    if (replacedImage !== 0 && replacedImage !== this.state.snapshot.fileSequence) {
      done = durable.then(() => {
        try {
          this.shared.snapshots.remove(groupId, replacedImage);
        } catch (error) {
          this.shared.removalFailed(groupId, error);
        }
      });
    }
    this.lastWrite = done as Promise<void>;
    return this.lastWrite;
  }

  private checkOpen(): void {
    assert(!this.closed, `group ${this.state.groupId}: storage used after close`);
  }
}
