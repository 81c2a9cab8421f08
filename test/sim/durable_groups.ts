/**
 * What a node's simulated disk holds durably, group by group: each record of the shared log,
 * once durable, applied to its group's state by the real replay rules (wal_recovery.ts
 * applyRecord, group_state.ts), in location order. This is the safety monitors' view of every
 * group's persisted log on that node (what a crash keeps: it moves only as fdatasyncs complete,
 * and at a crash by the records that survived it), shown to them entry by entry as it grows.
 * At a restart the real recovery must find exactly it for every group (differences()): a group
 * recovered with less than its disk held has lost acknowledged state.
 */
import type { InitialState, Storage } from "../../src/cluster/raft/storage.ts";
import type { Entry, Snapshot } from "../../src/cluster/raft/types.ts";
import { GroupState } from "../../src/cluster/wal/group_state.ts";
import { decodeEntryAt, decodeWalRecord } from "../../src/cluster/wal/wal_record_format.ts";
import { applyRecord } from "../../src/cluster/wal/wal_recovery.ts";

/** Told, for each entries record as it becomes durable, what it writes. */
export interface DurabilityObserver {
  /** `entries` of `group` are about to become durable, replacing what it holds from the first on. */
  beforeDurable(group: number, entries: Entry[]): void;
  /** ...and now are. */
  durable(group: number, entries: Entry[]): void;
}

/** What the safety monitor reads of a persisted log (MemoryStorage and these views have it). */
export type PersistedLog = Pick<Storage, "initialState" | "term" | "firstIndex" | "lastIndex" | "snapshot">;

export class DurableGroups {
  private readonly groups = new Map<number, GroupState>();
  /** Location of the newest record applied. */
  private through = 0;

  constructor(private readonly observer: DurabilityObserver) {}

  /** The record at `location` (the one after the last applied) is durable now. */
  apply(location: number, payload: Uint8Array): void {
    if (location !== this.through + 1) throw new Error(`durable record ${location} after ${this.through}`);
    const record = decodeWalRecord(payload);
    if (typeof record === "string") throw new Error(`durable record ${location} does not decode: ${record}`);
    this.through = location;
    if (record.kind !== "entries") {
      applyRecord(this.groups, record, location);
      return;
    }
    const entries = record.entries.map((place, position) =>
      decodeEntryAt(payload, place.offset, record.firstIndex + position));
    this.observer.beforeDurable(record.groupId, entries);
    applyRecord(this.groups, record, location);
    this.observer.durable(record.groupId, entries);
  }

  /** Location of the newest durable record applied. */
  lastLocation(): number {
    return this.through;
  }

  /** Records after a recovery that renumbered them (a planted bug) continue from `location`. */
  continueAfter(location: number): void {
    this.through = location;
  }

  /** Whether the disk holds a durable record of `group`. */
  holds(group: number): boolean {
    return this.groups.has(group);
  }

  /** The persisted log of `group` (an empty one when the disk holds none of it). */
  view(group: number): PersistedLog {
    return new DurableGroupView(() => this.groups.get(group));
  }

  /**
   * How the storage recovery opened for `group` differs from what the disk held durably: its
   * hard state, snapshot, first and last index, and the term of every entry. Null when alike.
   */
  differences(group: number, recovered: PersistedLog): string | null {
    const held = this.view(group);
    const describe = (log: PersistedLog) => {
      const { hardState } = log.initialState();
      const { index, term } = log.snapshot().metadata;
      const terms: number[] = [];
      for (let entry = log.firstIndex() - 1; entry <= log.lastIndex(); entry++) terms.push(log.term(entry));
      const hard = `term ${hardState.term} vote ${hardState.vote} commit ${hardState.commit}`;
      const entries = `entries ${log.firstIndex()}..${log.lastIndex()} terms ${terms.join(",")}`;
      return `${hard}, snapshot ${index}@${term}, ${entries}`;
    };
    const expected = describe(held);
    const found = describe(recovered);
    return expected === found ? null : `group ${group} recovered with ${found}; its disk held ${expected}`;
  }
}

const noMembers = { voters: [], learners: [] };

/** A group's durable state as a persisted log; commit raised to the snapshot, as recovery does. */
class DurableGroupView implements PersistedLog {
  constructor(private readonly state: () => GroupState | undefined) {}

  initialState(): InitialState {
    const state = this.state();
    if (state === undefined) return { hardState: { term: 0, vote: 0, commit: 0 }, confState: noMembers };
    const commit = Math.max(state.hardState.commit, state.snapshot.index);
    return { hardState: { ...state.hardState, commit }, confState: state.snapshot.confState };
  }

  term(index: number): number {
    const state = this.state();
    return state === undefined ? 0 : state.entries.termAt(index);
  }

  firstIndex(): number {
    return this.state()?.firstIndex() ?? 1;
  }

  lastIndex(): number {
    return this.state()?.lastIndex() ?? 0;
  }

  snapshot(): Snapshot {
    const state = this.state();
    if (state === undefined) return { metadata: { index: 0, term: 0, confState: noMembers }, data: new Uint8Array(0) };
    const { index, term, confState } = state.snapshot;
    return { metadata: { index, term, confState }, data: new Uint8Array(0) };
  }
}
