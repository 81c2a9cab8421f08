/**
 * Terms of a contiguous range of log indexes, kept as runs (first index of each term), since
 * terms change rarely: term(index) is a binary search over a handful of runs and needs no
 * disk read. Covers [anchorIndex, lastIndex], where the anchor is the entry just before the
 * first stored one (the snapshot's, or index 0 with term 0).
 */
import { assert, fail } from "../../util/assert.ts";

interface Run {
  firstIndex: number;
  term: number;
}

export class TermRuns {
  private runs: Run[];
  private last: number;

  constructor(anchorIndex: number, anchorTerm: number) {
    this.runs = [{ firstIndex: anchorIndex, term: anchorTerm }];
    this.last = anchorIndex;
  }

  anchorIndex(): number {
    return this.runs[0].firstIndex;
  }

  lastIndex(): number {
    return this.last;
  }

  /** Term at `index` in [anchorIndex, lastIndex]. */
  termAt(index: number): number {
    // The message is built only on failure: this runs for every term() the core asks.
    if (index < this.runs[0].firstIndex || index > this.last) assert(false, `term of ${index} outside [${this.anchorIndex()}, ${this.last}]`);
    const newest = this.runs[this.runs.length - 1];
    if (index >= newest.firstIndex) return newest.term;
    let low = 0;
    let high = this.runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.runs[middle].firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    return this.runs[low].term;
  }

  /** Records the term of the next index, lastIndex + 1. */
  push(index: number, term: number): void {
    const tail = this.runs[this.runs.length - 1];
    if (index !== this.last + 1) assert(false, `term of ${index} pushed after ${this.last}`);
    if (term < tail.term) assert(false, `term ${term} at ${index} below the previous ${tail.term}`);
    if (term !== tail.term) this.runs.push({ firstIndex: index, term });
    this.last = index;
  }

  /** Forgets every index after `lastKept` (>= anchorIndex). */
  truncateAfter(lastKept: number): void {
    if (!(lastKept >= this.anchorIndex())) fail(`truncate to ${lastKept} below the anchor ${this.anchorIndex()}`);
    if (lastKept >= this.last) return;
    while (this.runs.length > 1 && this.runs[this.runs.length - 1].firstIndex > lastKept) this.runs.pop();
    this.last = lastKept;
  }

  /** Makes `newAnchor` (in [anchorIndex, lastIndex]) the anchor, forgetting what precedes it. */
  dropBefore(newAnchor: number): void {
    const term = this.termAt(newAnchor);
    this.runs = [{ firstIndex: newAnchor, term }, ...this.runs.filter((run) => run.firstIndex > newAnchor)];
  }
}
