/**
 * A Map for entries that come and go all the time (requests in flight, proposals, remembered
 * outcomes), which keeps deleted values unreachable.
 *
 * Why: JavaScriptCore's Map keeps a deleted entry's value reachable from its table until the
 * table is rehashed, which insertions and deletions in steady state seldom cause. With 128
 * entries live and a stream of inserts and deletes, an eden collection found about 8 MB of
 * such deleted values still reachable, promoted them, and nearly every eden collection was
 * followed by a full one (measured: 60 full collections in 62, against 2 in 138 with this
 * class, and 1.6x the time per insert+delete). In the client, that GC work cost more CPU than
 * encoding and decoding the requests together.
 *
 * The cure is to copy the live entries into a new Map once deletions since the last copy
 * reach `deletesBeforeCopyMin` and twice the live count: the old table, with every deleted
 * value in it, becomes garbage at once. The copy costs O(live) per at least max(that minimum,
 * 2 x live) deletions, so less than one entry copied per deletion.
 */

/**
 * Deletions between copies at the least. Small, because what deleted entries keep alive can be
 * large (a request: its frame, its promise and the caller's awaiting code): at 1024, the
 * client still promoted about 2.5 MB per eden collection.
 */
export const deletesBeforeCopyMin = 64;

export class ChurnMap<K, V> {
  private map: Map<K, V>;
  private deletesSinceCopy = 0;

  constructor(entries?: Iterable<readonly [K, V]>) {
    this.map = new Map(entries);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.map.delete(key)) return false;
    this.deletesSinceCopy++;
    if (this.deletesSinceCopy >= deletesBeforeCopyMin && this.deletesSinceCopy >= 2 * this.map.size) {
      this.map = new Map(this.map);
      this.deletesSinceCopy = 0;
    }
    return true;
  }

  clear(): void {
    this.map = new Map();
    this.deletesSinceCopy = 0;
  }

  /**
   * Live entries in insertion order. Deleting entries already visited while iterating is safe:
   * a copy made meanwhile does not disturb the walk, which goes on over the old table, whose
   * entries not yet visited are the same. (Unlike a Map, an entry set during the walk may be
   * missed by it; no caller sets while iterating.)
   */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
