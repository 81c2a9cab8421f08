/**
 * The shared log: one Raft write-ahead log per node for all its groups (format and recovery in
 * wal_record_format.ts), modelled on TiKV's raft-engine. Each group sees it through a
 * GroupStorage, the DurableRaftStorage its driver already uses (group_storage.ts).
 *
 * Group commit across groups, the batching rule: every group appends its records to the one
 * segment log, whose group commit (src/log/group_commit.ts) flushes in a setImmediate callback.
 * So all persist() and compact() calls made before the next macrotask, whatever their groups,
 * are written by one write, covered by one fdatasync and resolved by one shared promise
 * (SegmentedLog.flushed()); while that fdatasync runs (in the thread pool), later calls gather
 * for the next flush, which starts when it completes. A scheduler therefore needs no flush() of
 * its own: it calls persist() of every group with a Ready in one synchronous pass, then awaits
 * them together. stats() counts the writes and fdatasyncs.
 *
 * Compaction (compactSegments): a segment is dropped once every group is past it, i.e. holds no
 * live record of any group (group_state.ts: newest hard state, newest snapshot record, records
 * of stored entries). Before that, a group whose live records lie in a sealed segment and are
 * few (rewriteEntriesMax) is rewritten forward: its entries, snapshot record and hard state are
 * appended anew, so idle and small groups never hold old segments. A group with more is left
 * pinning; segmentPins() and laggingGroups() say which and how much, so the scheduler can
 * snapshot and compact a group that is far behind (laggingGroupLogBytesMin) instead of letting
 * it pin the log. Removed groups pin nothing: their records are dead once the removal is.
 *
 * A stuck disk: unfinishedWriteSinceMs() says since when (on the node's clock) the oldest group
 * commit still unfinished has been awaited, or null when none is; node liveness
 * (health/node_liveness.ts) tells peers this node's disk is stalled once that is too long ago.
 */
import { assert } from "../../util/assert.ts";
import { realClock, type Clock } from "../../util/clock.ts";
import { errorText, silentLogger, type Logger } from "../../util/logger.ts";
import { cloneConfState } from "../raft/config_entry.ts";
import type { ConfState, Entry } from "../raft/types.ts";
import { GroupState } from "./group_state.ts";
import { appendEntryRecords, readEntries } from "./group_records.ts";
import { GroupStorage, type SharedLogAccess } from "./group_storage.ts";
import type { RecordLog } from "./record_log.ts";
import { type SegmentPin, segmentPins } from "./segment_pins.ts";
import type { SnapshotStore } from "./snapshot_store.ts";
import { laggingGroupLogBytesMin, rewriteEntriesMax, rewriteEntryBytesMax } from "./wal_constants.ts";
import {
  recoverGroups, recoverSharedLog, type SharedLogOptions, type SharedLogRecovery,
} from "./wal_recovery.ts";
import {
  encodeGroupRemovedRecord,
  encodeHardStateRecord,
  encodeSnapshotRecord,
  entryRecordBytes,
} from "./wal_record_format.ts";

interface SharedLogStats {
  /** write calls that carried records (one per group commit, whatever the number of groups). */
  writeCount: number;
  /** fdatasync calls of the segment log (one per group commit). */
  fdatasyncCount: number;
  recordsAppended: number;
  bytesWritten: number;
  segmentCount: number;
  /** Bytes of all segment files. */
  sizeBytes: number;
  groups: number;
  groupsRewritten: number;
  segmentsDropped: number;
}

/** What one compactSegments() did, and what still pins the log. */
interface SegmentCompaction {
  groupsRewritten: number[];
  segmentsDropped: number;
  bytesDropped: number;
  /** Groups still holding sealed segments, oldest first. */
  pins: SegmentPin[];
}

export class SharedLog {
  private readonly groups: Map<number, GroupState>;
  private readonly views = new Map<number, GroupStorage>();
  private readonly access: SharedLogAccess;
  private readonly counters = { groupsRewritten: 0, segmentsDropped: 0 };
  private compaction: Promise<SegmentCompaction> | null = null;
  private closed = false;
  /** Each group commit awaited and not finished, with clock.now() when it was first awaited. */
  private readonly unfinishedWrites = new Map<Promise<number>, number>();

  private constructor(
    private readonly log: RecordLog,
    snapshots: SnapshotStore,
    groups: Map<number, GroupState>,
    readonly recovery: SharedLogRecovery,
    private readonly logger: Logger,
    /** Dates unfinished writes (unfinishedWriteSinceMs). */
    private readonly clock: Clock = realClock,
  ) {
    this.groups = groups;
    this.access = {
      log,
      snapshots,
      flushed: () => this.flushed(),
      viewClosed: (view) => {
        if (this.views.get(view.groupId) === view) this.views.delete(view.groupId);
      },
      removalFailed: (groupId, error) => {
        const fields = { group: groupId, error: errorText(error) };
        this.logger.warn("snapshot file not removed; the next open removes it", fields);
      },
    };
  }

  /** Opens (or creates) the shared log in options.dir, recovering every group (wal_recovery.ts). */
  static async open(options: SharedLogOptions): Promise<SharedLog> {
    const { log, snapshots, groups, recovery } = await recoverSharedLog(options);
    return new SharedLog(log, snapshots, groups, recovery, options.logger ?? silentLogger, options.clock ?? realClock);
  }

  /**
   * Opens the shared log over a record log and snapshot store already open, with the same
   * recovery (wal_recovery.ts: recoverGroups): how the deterministic simulator runs it on its
   * simulated disk (test/sim/). `name` stands for the folder in reports and errors. A failed
   * recovery throws and leaves closing `log` to the caller.
   */
  static openOn(log: RecordLog, snapshots: SnapshotStore, name: string, logger?: Logger): SharedLog {
    const { groups, recovery } = recoverGroups(log, snapshots, name, logger);
    return new SharedLog(log, snapshots, groups, recovery, logger ?? silentLogger);
  }

  /** Groups held, in ascending order (after open: every group recovered). */
  groupIds(): number[] {
    return [...this.groups.keys()].sort((left, right) => left - right);
  }

  /**
   * The storage of group `groupId`. A group the log does not hold is created, its membership
   * `initialConfState` stored at once as its index-0 snapshot (durable on return); an existing
   * group ignores it. One view per group at a time: close it before opening it again.
   */
  async openGroup(groupId: number, initialConfState: ConfState = { voters: [], learners: [] }): Promise<GroupStorage> {
    this.checkOpen();
    assert(!this.views.has(groupId), `group ${groupId} is already open`);
    const existing = this.groups.get(groupId);
    const state = existing ?? new GroupState(groupId);
    const view = new GroupStorage(this.access, state);
    this.views.set(groupId, view);
    if (existing === undefined) {
      const confState = cloneConfState(initialConfState);
      const record = { index: 0, term: 0, confState, anchorIndex: 0, anchorTerm: 0, fileSequence: 0, reset: true };
      this.groups.set(groupId, state);
      state.applySnapshot(record, this.log.appendWithoutWaiting([encodeSnapshotRecord(groupId, record)]));
      await this.flushed();
    }
    return view;
  }

  /**
   * Forgets a group (its replica left this node): a removal record, durable on return; its view
   * is closed at once and its snapshot image removed. Its records then pin nothing.
   */
  async removeGroup(groupId: number): Promise<void> {
    this.checkOpen();
    const state = this.groups.get(groupId);
    assert(state !== undefined, `group ${groupId} is not held`);
    this.views.get(groupId)?.detach();
    this.views.delete(groupId);
    this.groups.delete(groupId);
    this.log.appendWithoutWaiting([encodeGroupRemovedRecord(groupId)]);
    await this.flushed();
    this.access.snapshots.remove(groupId, state.snapshot.fileSequence);
  }

  /** Groups holding sealed segments, oldest first, with how far behind each is (segment_pins.ts). */
  segmentPins(): SegmentPin[] {
    const groups = [...this.groups.values()].map((state) => ({
      groupId: state.groupId,
      oldestLiveRecord: state.oldestLiveRecord(),
    }));
    return segmentPins(groups, this.log.segmentSizes());
  }

  /** Pins of groups far behind: at least `logBytesMin` of log after their oldest live record's segment. */
  laggingGroups(logBytesMin = laggingGroupLogBytesMin): SegmentPin[] {
    return this.segmentPins().filter((pin) => pin.logBytesSince >= logBytesMin);
  }

  /**
   * Rewrites small groups that hold sealed segments, then drops every segment all groups are
   * past. One at a time: a call while one runs gets that one's result.
   */
  compactSegments(): Promise<SegmentCompaction> {
    this.checkOpen();
    this.compaction ??= this.compactNow().finally(() => {
      this.compaction = null;
    });
    return this.compaction;
  }

  /**
   * clock.now() when the oldest group commit that has not finished was first awaited; null when
   * every write awaited so far has finished. The age of a stuck write, for node liveness.
   */
  unfinishedWriteSinceMs(): number | null {
    let oldest: number | null = null;
    for (const since of this.unfinishedWrites.values()) if (oldest === null || since < oldest) oldest = since;
    return oldest;
  }

  stats(): SharedLogStats {
    const { writeCount, fdatasyncCount, recordsAppended, bytesWritten, segmentCount } = this.log.stats();
    return {
      writeCount, fdatasyncCount, recordsAppended, bytesWritten, segmentCount,
      sizeBytes: this.log.sizeBytes(), groups: this.groups.size, ...this.counters,
    };
  }

  /** Flushes what the groups appended and closes the log; every view is closed with it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction?.catch(() => {});
    for (const view of this.views.values()) view.detach();
    this.views.clear();
    await this.log.close();
  }

  /** The log's flushed(), dated until it settles. Calls of one turn share one promise, so one entry. */
  private flushed(): Promise<number> {
    const promise = this.log.flushed();
    if (!this.unfinishedWrites.has(promise)) {
      this.unfinishedWrites.set(promise, this.clock.now());
      const finished = (): void => {
        this.unfinishedWrites.delete(promise);
      };
      promise.then(finished, finished);
    }
    return promise;
  }

  private async compactNow(): Promise<SegmentCompaction> {
    const rewritten: number[] = [];
    const activeFirstIndex = this.log.segmentSizes().at(-1)!.firstIndex;
    for (const state of this.groups.values()) {
      if (state.oldestLiveRecord() < activeFirstIndex && this.rewriteIfSmall(state)) rewritten.push(state.groupId);
    }
    if (rewritten.length > 0) await this.flushed();
    this.counters.groupsRewritten += rewritten.length;
    const { segmentsDropped, bytesDropped } = await this.dropSegments();
    return { groupsRewritten: rewritten, segmentsDropped, bytesDropped, pins: this.segmentPins() };
  }

  /** Drops the segments before every group's oldest live record. */
  private async dropSegments(): Promise<{ segmentsDropped: number; bytesDropped: number }> {
    let firstNeeded = this.log.lastIndex() + 1;
    for (const state of this.groups.values()) firstNeeded = Math.min(firstNeeded, state.oldestLiveRecord());
    const segments = this.log.segmentSizes();
    let droppedCount = 0;
    while (droppedCount < segments.length - 1 && segments[droppedCount + 1].firstIndex <= firstNeeded) droppedCount++;
    if (droppedCount === 0) return { segmentsDropped: 0, bytesDropped: 0 };
    const droppable = segments.slice(0, droppedCount);
    // The records that moved the groups past these segments (a compaction, a rewrite) must be
    // durable before the older ones go, or a crash could leave a group with neither.
    await this.log.sync();
    await this.log.compactPrefix(firstNeeded);
    this.counters.segmentsDropped += droppable.length;
    const bytesDropped = droppable.reduce((total, segment) => total + segment.sizeBytes, 0);
    const fields = { segments: droppable.length, bytes: bytesDropped, first_kept: firstNeeded };
    this.logger.debug("shared log segments dropped", fields);
    return { segmentsDropped: droppable.length, bytesDropped };
  }

  /**
   * Appends the group's whole live state anew (entries, then snapshot record, then hard state:
   * a crash after any prefix of them leaves the group as it was) when it has few live entries;
   * returns whether it did (not: too many).
   */
  private rewriteIfSmall(state: GroupState): boolean {
    if (state.entries.storedCount() > rewriteEntriesMax) return false;
    const entries: Entry[] = state.entries.storedCount() === 0
      ? []
      : readEntries(this.log, state, state.firstIndex(), state.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
    let bytes = 0;
    for (const entry of entries) bytes += entryRecordBytes(entry);
    if (bytes > rewriteEntryBytesMax) return false;
    if (entries.length > 0) appendEntryRecords(this.log, state, entries, 0);
    const snapshot = { ...state.snapshot, reset: false };
    const image = state.snapshotImage;
    state.applySnapshot(snapshot, this.log.appendWithoutWaiting([encodeSnapshotRecord(state.groupId, snapshot)]));
    state.snapshotImage = image;
    if (state.hardStateRecord !== 0) {
      const hardState = state.hardState;
      state.applyHardState(hardState, this.log.appendWithoutWaiting([encodeHardStateRecord(state.groupId, hardState)]));
    }
    return true;
  }

  private checkOpen(): void {
    assert(!this.closed, "shared log used after close");
  }
}
