/**
 * One group's state in memory, as the shared log's records build it (format and replay rules in
 * wal_record_format.ts): its hard state, its newest snapshot's metadata, the index of its entries
 * (entry_table.ts), its recent entries decoded, and the locations of its live records. The same
 * apply* methods serve the replay at open and every live write, so a reopened log rebuilds
 * exactly the state the writes left.
 *
 * Live records of a group: its newest hard state, its newest snapshot record and the records
 * holding its stored entries. Nothing else of the group is needed after a restart, so the
 * oldest of them is how far back the group holds the shared log (oldestLiveRecord).
 */
import { fail } from "../../util/assert.ts";
import type { HardState, Snapshot } from "../raft/types.ts";
import { RecentEntries } from "../storage/recent_entries.ts";
import { zeroRaftStorageCounters } from "../storage/types.ts";
import { EntryTable } from "./entry_table.ts";
import { groupEntryCacheBytesMax, groupEntryCacheCountMax } from "./wal_constants.ts";
import type { EntryPlace, SnapshotRecord } from "./wal_record_format.ts";

/** No record yet: a location below every real one (src/log indexes start at 1). */
const noRecord = 0;

export class GroupState {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  /** Location of the newest hard-state record (noRecord: none yet). */
  hardStateRecord = noRecord;
  snapshot: SnapshotRecord = {
    index: 0, term: 0, confState: { voters: [], learners: [] },
    anchorIndex: 0, anchorTerm: 0, fileSequence: 0, reset: true,
  };
  /** Location of the newest snapshot record (noRecord: none seen, which recovery refuses). */
  snapshotRecord = noRecord;
  /** The newest snapshot with its image, once written or loaded (null: load it from its file). */
  snapshotImage: Snapshot | null = null;
  readonly entries = new EntryTable();
  readonly recent = new RecentEntries(groupEntryCacheCountMax, groupEntryCacheBytesMax);
  readonly counters = zeroRaftStorageCounters();

  constructor(readonly groupId: number) {}

  firstIndex(): number {
    return this.entries.anchorIndex() + 1;
  }

  lastIndex(): number {
    return this.entries.lastIndex();
  }

  hasSnapshotRecord(): boolean {
    return this.snapshotRecord !== noRecord;
  }

  /** The oldest location the group still needs: the shared log may drop every segment before it. */
  oldestLiveRecord(): number {
    const hardState = this.hardStateRecord === noRecord ? Number.POSITIVE_INFINITY : this.hardStateRecord;
    return Math.min(hardState, this.snapshotRecord, this.entries.oldestRecord());
  }

  /**
   * Entries [firstIndex, firstIndex + places.length) at `location` replace those the group holds
   * from firstIndex on; entries at or below the anchor are skipped. A first index past the end
   * (or before a run that is not anchored yet) starts a new run while `replaying` (the entries
   * between were in dropped segments) and is a bug otherwise. A `commit` above 0 becomes the
   * group's commit index. Returns the entries replaced.
   */
  applyEntries(
    firstIndex: number,
    places: readonly EntryPlace[],
    commit: number,
    location: number,
    replaying: boolean,
  ): number {
    if (commit > 0) this.hardState = { ...this.hardState, commit };
    const table = this.entries;
    const skipped = Math.max(0, table.anchorIndex() + 1 - firstIndex);
    if (skipped >= places.length) return 0;
    const first = firstIndex + skipped;
    const last = table.lastIndex();
    let replaced = 0;
    if (first > last + 1 || first < table.firstStoredIndex()) {
      if (!replaying) fail(`append at ${first} leaves a gap after ${last}`);
      table.restartAt(first);
    } else {
      replaced = Math.max(0, last - first + 1);
      table.truncateAfter(first - 1);
    }
    for (let position = skipped; position < places.length; position++) {
      table.push(firstIndex + position, places[position].term, location, places[position].offset);
    }
    return replaced;
  }

  applyHardState(hardState: HardState, location: number): void {
    this.hardState = { ...hardState };
    this.hardStateRecord = location;
  }

  /** The group's newest snapshot: drops every entry (reset) or those at or below the anchor. */
  applySnapshot(snapshot: SnapshotRecord, location: number): void {
    this.snapshot = snapshot;
    this.snapshotRecord = location;
    this.snapshotImage = null;
    if (snapshot.reset) {
      this.entries.reset(snapshot.anchorIndex, snapshot.anchorTerm);
      this.recent.clear();
    } else {
      this.entries.compactThrough(snapshot.anchorIndex, snapshot.anchorTerm);
      this.recent.dropBefore(this.entries.anchorIndex() + 1);
    }
  }
}
