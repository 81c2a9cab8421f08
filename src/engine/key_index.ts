/**
 * The key index: where each live key's value lives in the log. Two structures hold the same
 * entries: a hash map for point reads in O(1) and a B+ tree (sorted-btree) for ordered scans.
 * The tree is keyed by the key's latin1 string (see key_string.ts), whose order is bytewise.
 * The hash table (hash_table.ts) is keyed by the key's 32-bit xxHash (key_string.ts) with the
 * bytes compared on lookup: measured about 4x faster than building a string per get, because a
 * small-integer key needs no allocation. A key whose hash is taken by another key (about
 * a hundred in a million) goes to a small map keyed by its string instead, so the common
 * path sees one shape of value.
 *
 * Entries are immutable apart from a cached view of the value: a write or a relocation puts a
 * new entry. So a clone() of the ordered tree (O(1), copy-on-write) is a consistent picture
 * of the index for a checkpoint or a snapshot export while writes go on.
 */
import { BTree } from "./sorted_btree.ts";
import { HashTable } from "./hash_table.ts";
import { assert } from "../util/assert.ts";
import { keyEqualsFromAt, keyHash, keyHashAt, keyHeadBytes, keyStringWord, keyToStringAt, keyWordAt } from "./key_string.ts";

export interface IndexEntry {
  /**
   * The key as its latin1 string, the same string the ordered tree holds: one object per key
   * instead of a string and a byte array (fewer objects for the collector at millions of keys).
   */
  readonly keyString: string;
  /** keyHash() of the key's bytes: the hash index's key. */
  readonly keyHash: number;
  /**
   * The key's length and its first keyHeadBytes bytes as four words (keyWordAt()), so a get
   * compares the key with the entry it has loaded anyway. At a million keys every object a get
   * touches is a cache miss, and the key string costs two (its cell and its characters); only
   * keys longer than the head still read the string, for their tail.
   */
  readonly keyLength: number;
  readonly keyHead0: number;
  readonly keyHead1: number;
  readonly keyHead2: number;
  readonly keyHead3: number;
  /** Revision of the key's last write. */
  readonly version: number;
  /** Log record holding the value, and where the value sits in that record's payload. */
  readonly logIndex: number;
  readonly valueOffset: number;
  readonly valueLength: number;
  /** The value as a view into the log's data once read; null until the first read. */
  value: Uint8Array | null;
}

/** The fields an entry is made from; the key's length and head are derived from its string. */
type IndexEntryFields = Pick<IndexEntry, "keyString" | "keyHash" | "version" | "logIndex" | "valueOffset" | "valueLength">;

export function newIndexEntry(fields: IndexEntryFields): IndexEntry {
  const keyString = fields.keyString;
  return {
    keyString,
    keyHash: fields.keyHash,
    keyLength: keyString.length,
    keyHead0: keyStringWord(keyString, 0),
    keyHead1: keyStringWord(keyString, 4),
    keyHead2: keyStringWord(keyString, 8),
    keyHead3: keyStringWord(keyString, 12),
    version: fields.version,
    logIndex: fields.logIndex,
    valueOffset: fields.valueOffset,
    valueLength: fields.valueLength,
    value: null,
  };
}

/** Whether `entry` is the entry of the key held in bytes[start, end). */
function holdsKeyAt(entry: IndexEntry, bytes: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  return entry.keyLength === length && entry.keyHead0 === keyWordAt(bytes, start, end, 0) && entry.keyHead1 === keyWordAt(bytes, start, end, 4)
    && entry.keyHead2 === keyWordAt(bytes, start, end, 8) && entry.keyHead3 === keyWordAt(bytes, start, end, 12)
    && (length <= keyHeadBytes || keyEqualsFromAt(entry.keyString, bytes, start, end, keyHeadBytes));
}

/**
 * Entries per B+ tree node. Measured at 1 million keys: 64 inserted faster than the library's
 * default of 32 (fewer levels to descend), both in key order (checkpoint load) and at random.
 */
const orderedNodeSizeMax = 64;

/** Rough bytes of one index entry beside its key: two tree/map slots, the entry object (with its key head), views. */
const indexEntryOverheadBytesEstimate = 240;

export class KeyIndex {
  /** The entry holding each hash (the first key seen with it). */
  private readonly byHash = new HashTable<IndexEntry>();
  /** Entries whose hash byHash gives to another key; invariant: that other key is live. */
  private readonly collided = new Map<string, IndexEntry>();
  private ordered = new BTree<string, IndexEntry>(undefined, compareStrings, orderedNodeSizeMax);
  private liveValueBytesTotal = 0;
  private keyBytesTotal = 0;

  get size(): number {
    return this.ordered.size;
  }

  liveValueBytes(): number {
    return this.liveValueBytesTotal;
  }

  keyBytes(): number {
    return this.keyBytesTotal;
  }

  bytesEstimate(): number {
    return this.keyBytesTotal * 2 + this.ordered.size * indexEntryOverheadBytesEstimate;
  }

  /** The entry of a key; `hash` is keyHash(key), passed when the caller has it already. */
  get(key: Uint8Array, hash = keyHash(key)): IndexEntry | undefined {
    return this.getAt(key, 0, key.length, hash);
  }

  /** The entry of the key held in bytes[start, end) (a key inside a receive buffer, without a view of it). */
  getAt(bytes: Uint8Array, start: number, end: number, hash = keyHashAt(bytes, start, end)): IndexEntry | undefined {
    const holder = this.byHash.get(hash);
    if (holder === undefined) return undefined;
    if (holdsKeyAt(holder, bytes, start, end)) return holder;
    return this.collided.size === 0 ? undefined : this.collided.get(keyToStringAt(bytes, start, end));
  }

  /** The entry of a key given as its latin1 string. */
  entryOf(keyString: string): IndexEntry | undefined {
    return this.ordered.get(keyString);
  }

  set(entry: IndexEntry): void {
    const keyString = entry.keyString;
    // The key's current entry, found through the hash index: every key in the tree is either the
    // holder of its hash or in `collided`, so this costs no descent of the tree (the set does one).
    const holder = this.byHash.get(entry.keyHash);
    const holdsThisKey = holder !== undefined && holder.keyString === keyString;
    const previous = holdsThisKey ? holder : this.collided.size === 0 ? undefined : this.collided.get(keyString);
    if (previous !== undefined) this.forget(previous);
    this.ordered.set(keyString, entry, true);
    this.liveValueBytesTotal += entry.valueLength;
    this.keyBytesTotal += keyString.length;
    if (holder === undefined || holdsThisKey) this.byHash.set(entry.keyHash, entry);
    else this.collided.set(keyString, entry);
  }

  delete(keyString: string): boolean {
    const previous = this.ordered.get(keyString);
    if (previous === undefined) return false;
    this.forget(previous);
    this.ordered.delete(keyString);
    if (this.byHash.get(previous.keyHash) !== previous) {
      assert(this.collided.delete(keyString), "ordered index entry missing from the hash index");
      return true;
    }
    this.byHash.delete(previous.keyHash);
    this.promoteCollided(previous.keyHash);
    return true;
  }

  /** Keeps the invariant of `collided`: a key waiting for `hash` takes it once it is free. */
  private promoteCollided(hash: number): void {
    if (this.collided.size === 0) return;
    for (const [keyString, entry] of this.collided) {
      if (entry.keyHash !== hash) continue;
      this.collided.delete(keyString);
      this.byHash.set(hash, entry);
      return;
    }
  }

  /**
   * Live entries of a picture taken now (O(1) clone), for compaction's walk: writes made
   * during the walk do not disturb it, and entries they replaced are seen as stale by
   * comparing with get().
   */
  values(): IterableIterator<IndexEntry> {
    return this.ordered.clone().values();
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
    this.keyBytesTotal -= entry.keyString.length;
  }
}

function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
