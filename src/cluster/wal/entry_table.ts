/**
 * Where each entry of one group lives in the shared log, and its term: the in-memory index of a
 * group's Raft log (TiKV's raft-engine keeps the same per group, its "memtable"). For every
 * stored entry, the location of its record and the offset of its bytes in that record, in typed
 * arrays (12 bytes an entry, out of the garbage collector's way); terms as runs, since they
 * change rarely.
 *
 * Holds the anchor (the index and term of the entry just before the first stored one: the
 * snapshot's, or a compaction point) and the stored entries after it. While the shared log is
 * replayed, the stored run may start past anchor + 1 (the entries between were in dropped
 * segments, and a later snapshot record moves the anchor up to them): `isAnchored` says when it
 * does not, and recovery refuses a group that ends so.
 * Locations of stored entries never decrease with their index: an entry is only ever replaced
 * together with every entry after it (a conflicting suffix), by a newer record.
 */
import { assert, fail } from "../../util/assert.ts";

const capacityInitial = 16;

interface TermRun {
  firstIndex: number;
  term: number;
}

export class EntryTable {
  private anchor = 0;
  private anchorTermValue = 0;
  /** Index of the first stored entry (anchor + 1 when anchored). */
  private first = 1;
  private count = 0;
  private head = 0;
  private records = new Float64Array(capacityInitial);
  private offsets = new Uint32Array(capacityInitial);
  private runs: TermRun[] = [];

  anchorIndex(): number {
    return this.anchor;
  }

  anchorTerm(): number {
    return this.anchorTermValue;
  }

  /** Index of the first stored entry; lastIndex() + 1 when none is stored. */
  firstStoredIndex(): number {
    return this.first;
  }

  storedCount(): number {
    return this.count;
  }

  lastIndex(): number {
    return this.count > 0 ? this.first + this.count - 1 : Math.max(this.anchor, this.first - 1);
  }

  isAnchored(): boolean {
    return this.count === 0 || this.first === this.anchor + 1;
  }

  /** Term at `index` in [anchorIndex, lastIndex]. */
  termAt(index: number): number {
    if (index === this.anchor) return this.anchorTermValue;
    if (!(index >= this.first && index < this.first + this.count)) fail(`term of ${index}: not stored`);
    let low = 0;
    let high = this.runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.runs[middle].firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    return this.runs[low].term;
  }

  /** Location (record index) of the record holding stored entry `index`. */
  recordOf(index: number): number {
    return this.records[this.position(index)];
  }

  /** Offset of stored entry `index`'s bytes in its record's payload. */
  offsetOf(index: number): number {
    return this.offsets[this.position(index)];
  }

  /** Location of the oldest stored entry's record, or Infinity when none is stored. */
  oldestRecord(): number {
    return this.count > 0 ? this.records[this.head] : Number.POSITIVE_INFINITY;
  }

  /** Stores the entry after the last stored one (or the first of a new run). */
  push(index: number, term: number, record: number, offset: number): void {
    if (index !== this.first + this.count) fail(`entry ${index} stored after ${this.first + this.count - 1}`);
    const tail = this.runs[this.runs.length - 1];
    if (tail === undefined || tail.term !== term) {
      if (tail !== undefined && term < tail.term) fail(`term ${term} at ${index} below the previous ${tail.term}`);
      this.runs.push({ firstIndex: index, term });
    }
    if (this.head + this.count === this.records.length) this.makeRoom();
    this.records[this.head + this.count] = record;
    this.offsets[this.head + this.count] = offset;
    this.count++;
  }

  /** Forgets stored entries after `lastKept` (>= firstStoredIndex() - 1). */
  truncateAfter(lastKept: number): void {
    assert(lastKept >= this.first - 1, "truncation before the stored run");
    if (lastKept >= this.first + this.count - 1) return;
    this.count = lastKept - this.first + 1;
    while (this.runs.length > 0 && this.runs[this.runs.length - 1].firstIndex > lastKept) this.runs.pop();
  }

  /** Drops every stored entry; the next push starts a run at `index` (replay across dropped segments). */
  restartAt(index: number): void {
    this.clearStored(index);
  }

  /** Drops stored entries at or below `anchorIndex`, which becomes the anchor (if above the current one). */
  compactThrough(anchorIndex: number, anchorTerm: number): void {
    if (anchorIndex < this.anchor) return;
    const dropped = Math.min(Math.max(anchorIndex - this.first + 1, 0), this.count);
    this.head += dropped;
    this.first += dropped;
    this.count -= dropped;
    while (this.runs.length > 1 && this.runs[1].firstIndex <= anchorIndex) this.runs.shift();
    if (this.runs.length > 0) this.runs[0] = { firstIndex: this.first, term: this.runs[0].term };
    this.anchor = anchorIndex;
    this.anchorTermValue = anchorTerm;
    if (this.count === 0) this.clearStored(anchorIndex + 1);
  }

  /** Drops every stored entry and anchors the table at (anchorIndex, anchorTerm). */
  reset(anchorIndex: number, anchorTerm: number): void {
    this.anchor = anchorIndex;
    this.anchorTermValue = anchorTerm;
    this.clearStored(anchorIndex + 1);
  }

  private clearStored(nextIndex: number): void {
    this.first = nextIndex;
    this.count = 0;
    this.head = 0;
    this.runs = [];
  }

  private position(index: number): number {
    if (!(index >= this.first && index < this.first + this.count)) fail(`entry ${index}: not stored`);
    return this.head + index - this.first;
  }

  /** Moves the stored run to the front when half the arrays are dropped entries, else doubles them. */
  private makeRoom(): void {
    if (this.head >= this.records.length / 2) {
      this.records.copyWithin(0, this.head, this.head + this.count);
      this.offsets.copyWithin(0, this.head, this.head + this.count);
      this.head = 0;
      return;
    }
    const records = new Float64Array(this.records.length * 2);
    const offsets = new Uint32Array(this.offsets.length * 2);
    records.set(this.records.subarray(this.head, this.head + this.count));
    offsets.set(this.offsets.subarray(this.head, this.head + this.count));
    this.records = records;
    this.offsets = offsets;
    this.head = 0;
  }
}
