/**
 * The key index: where each live key's value lives in the log. Two structures hold the same
 * entries: a Map for point reads in O(1) and a B+ tree (sorted-btree) for ordered scans.
 * Both are keyed by the key's latin1 string (see key_string.ts), whose order is bytewise.
 *
 * Entries are immutable apart from a cached view of the value: a write or a relocation puts a
 * new entry. So a clone() of the ordered tree (O(1), copy-on-write) is a consistent picture
 * of the index for a checkpoint or a snapshot export while writes go on.
 */
import BTree from "sorted-btree";
import { assert } from "../util/assert.ts";

export interface IndexEntry {
  readonly key: Uint8Array;
  /** Revision of the key's last write. */
  readonly version: number;
  /** Log record holding the value, and where the value sits in that record's payload. */
  readonly logIndex: number;
  readonly valueOffset: number;
  readonly valueLength: number;
  /** The value as a view into the log's data once read; null until the first read. */
  value: Uint8Array | null;
}

/** Rough bytes of one index entry beside its key: two tree/map slots, the entry object, views. */
const indexEntryOverheadBytesEstimate = 200;

export class KeyIndex {
  private readonly byKey = new Map<string, IndexEntry>();
  private ordered = new BTree<string, IndexEntry>(undefined, compareStrings);
  private liveValueBytesTotal = 0;
  private keyBytesTotal = 0;

  get size(): number {
    return this.byKey.size;
  }

  liveValueBytes(): number {
    return this.liveValueBytesTotal;
  }

  keyBytes(): number {
    return this.keyBytesTotal;
  }

  bytesEstimate(): number {
    return this.keyBytesTotal * 3 + this.byKey.size * indexEntryOverheadBytesEstimate;
  }

  get(keyString: string): IndexEntry | undefined {
    return this.byKey.get(keyString);
  }

  set(keyString: string, entry: IndexEntry): void {
    assert(entry.key.length === keyString.length, "index entry key differs from its key string");
    const previous = this.byKey.get(keyString);
    if (previous !== undefined) this.forget(previous);
    this.byKey.set(keyString, entry);
    this.ordered.set(keyString, entry, true);
    this.liveValueBytesTotal += entry.valueLength;
    this.keyBytesTotal += entry.key.length;
  }

  delete(keyString: string): boolean {
    const previous = this.byKey.get(keyString);
    if (previous === undefined) return false;
    this.forget(previous);
    this.byKey.delete(keyString);
    this.ordered.delete(keyString);
    return true;
  }

  /** Live entries in insertion order; tolerates writes between steps (see compaction.ts). */
  values(): IterableIterator<IndexEntry> {
    return this.byKey.values();
  }

  /** Entries in key order from `lowestKeyString` (inclusive). */
  entriesFrom(lowestKeyString: string | undefined): IterableIterator<[string, IndexEntry]> {
    return this.ordered.entries(lowestKeyString);
  }

  /** A frozen, consistent picture of the ordered index in O(1). */
  orderedClone(): BTree<string, IndexEntry> {
    return this.ordered.clone();
  }

  private forget(entry: IndexEntry): void {
    this.liveValueBytesTotal -= entry.valueLength;
    this.keyBytesTotal -= entry.key.length;
  }
}

function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
