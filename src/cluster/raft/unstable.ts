/**
 * Entries and a snapshot the node holds but the driver has not yet persisted. They reach
 * storage through a Ready and leave this buffer on advance().
 */
import { assert } from "../../util/assert.ts";
import type { Entry, Snapshot } from "./types.ts";

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** Index of entries[0] (or where it will be). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  lastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  /** Term at index when this buffer knows it, else undefined. */
  term(index: number): number | undefined {
    if (index < this.offset) {
      return this.snapshot !== undefined && this.snapshot.metadata.index === index ? this.snapshot.metadata.term : undefined;
    }
    const last = this.lastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset].term;
  }

  /** Entries [low, highExclusive), which must lie within this buffer. */
  slice(low: number, highExclusive: number): Entry[] {
    assert(low >= this.offset && highExclusive <= this.offset + this.entries.length, "unstable slice out of range");
    return this.entries.slice(low - this.offset, highExclusive - this.offset);
  }

  /** Appends, replacing any buffered entries at or after entries[0].index. */
  truncateAndAppend(entries: Entry[]): void {
    const after = entries[0].index;
    if (after === this.offset + this.entries.length) {
      this.entries = this.entries.concat(entries);
    } else if (after <= this.offset) {
      // Replaces stored entries too: the driver's append truncates them when persisting.
      this.offset = after;
      this.entries = [...entries];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
    }
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** The driver persisted entries up to (index, term): drop them unless since replaced. */
  stableTo(index: number, term: number): void {
    const known = this.term(index);
    if (known === undefined || known !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }
}
