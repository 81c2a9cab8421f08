/**
 * The node's view of its log: persisted entries in Storage plus the Unstable buffer, with
 * the commit index (known stored on a quorum) and the applied index (handed to the state
 * machine). Invariant: applied <= committed <= lastIndex.
 */
import { assert, fail } from "../../util/assert.ts";
import { lastEntry } from "./entries.ts";
import { CompactedError } from "./errors.ts";
import { limitBytes, type Storage } from "./storage.ts";
import type { Entry, Snapshot } from "./types.ts";
import { Unstable } from "./unstable.ts";

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(storage: Storage) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // The state machine restarts from the snapshot, which may be newer than the compaction point.
    const snapshotIndex = Math.max(storage.firstIndex() - 1, storage.snapshot().metadata.index);
    this.committed = snapshotIndex;
    this.applied = snapshotIndex;
  }

  firstIndex(): number {
    const snapshot = this.unstable.snapshot;
    return snapshot !== undefined ? snapshot.metadata.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndex() ?? this.storage.lastIndex();
  }

  /** Term at index, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.term(index);
    if (unstableTerm !== undefined) return unstableTerm;
    try {
      return this.storage.term(index);
    } catch (error) {
      if (error instanceof CompactedError) return undefined;
      throw error;
    }
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, "the last entry always has a known term");
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §3.6.1: a log is more up to date by a later last term, or an equal term and a longer log. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry that is new or conflicts with ours; 0 when all are already here. */
  findConflict(entries: Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`. An entry there
   * cannot conflict by term with a log whose entry at `index` has `term`.
   */
  findConflictByTerm(index: number, term: number): number {
    for (let candidate = index; candidate > 0; candidate--) {
      const candidateTerm = this.term(candidate);
      if (candidateTerm === undefined || candidateTerm <= term) return candidate;
    }
    return 0;
  }

  /**
   * AppendEntries steps 2-4 (§3.5): when our log holds (prevIndex, prevTerm), drop what
   * conflicts and append what is new. Returns the new last index and the entries written.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): { lastNew: number; appended: Entry[] } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict === 0) return { lastNew, appended: [] };
    if (conflict <= this.committed) fail(`conflict at ${conflict} within the committed prefix ${this.committed}`);
    const appended = entries.slice(conflict - prevIndex - 1);
    this.append(appended);
    return { lastNew, appended };
  }

  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    if (entries[0].index <= this.committed) fail(`append at ${entries[0].index} would rewrite committed entries`);
    if (!(entries[0].index <= this.lastIndex() + 1)) fail(`append at ${entries[0].index} leaves a gap`);
    this.unstable.truncateAndAppend(entries);
  }

  /** Entries [low, highExclusive) of about `bytesMax` bytes; throws CompactedError when low is compacted. */
  slice(low: number, highExclusive: number, bytesMax: number): Entry[] {
    if (low >= highExclusive) return [];
    if (low < this.firstIndex()) throw new CompactedError(`entries from ${low}: first index is ${this.firstIndex()}`);
    assert(highExclusive <= this.lastIndex() + 1, "slice beyond the last index");
    const unstableStart = this.unstable.offset;
    let result: Entry[] = [];
    if (low < unstableStart) {
      result = this.storage.entries(low, Math.min(highExclusive, unstableStart), bytesMax);
      if (result.length < Math.min(highExclusive, unstableStart) - low) return result;
    }
    if (highExclusive > unstableStart) {
      result = result.concat(this.unstable.slice(Math.max(low, unstableStart), highExclusive));
    }
    return limitBytes(result, bytesMax);
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (!(index <= this.lastIndex())) fail(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > this.applied;
  }

  nextCommittedEntries(bytesMax: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(Math.max(this.applied + 1, this.firstIndex()), this.committed + 1, bytesMax);
  }

  appliedTo(index: number): void {
    if (!(index <= this.committed && index >= this.applied)) fail(`applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the whole log with a snapshot from the leader (§5.2 InstallSnapshot step 6-8). */
  restore(snapshot: Snapshot): void {
    assert(snapshot.metadata.index > this.committed, "restore: snapshot not newer than commit");
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /**
   * Last index of the longest prefix of this log known durable: below the unstable buffer,
   * storage holds exactly this log's entries. 0 while a received snapshot is not yet durable.
   */
  persistedLastIndex(): number {
    if (this.unstable.snapshot !== undefined) return 0;
    return Math.min(this.unstable.offset - 1, this.storage.lastIndex());
  }

  stableTo(entries: Entry[]): void {
    const last = lastEntry(entries);
    if (last !== undefined) this.unstable.stableTo(last.index, last.term);
  }
}
