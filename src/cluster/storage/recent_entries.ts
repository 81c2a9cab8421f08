/**
 * The newest entries of the log, decoded, in memory: a leader sends what it just appended and
 * a follower checks terms of what it just received, so nearly every read of entries() lands
 * here instead of decoding a record again. Holds a contiguous run ending at the log's last
 * index, bounded by count and by data bytes (oldest dropped first).
 *
 * Entries live in an array read from `head`: dropping the oldest only moves `head`, and the
 * array is compacted once the dropped part is as long as the kept part, so each add costs
 * O(1) amortized. (Slicing the array on every drop copied the whole cache per entry once it
 * was full: at 4096 entries that was a fifth of a busy node's time.)
 */
import type { Entry } from "../raft/types.ts";
import { entryBytes } from "../raft/entries.ts";

export class RecentEntries {
  private entries: Entry[] = [];
  /** Position in `entries` of the oldest entry kept. */
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly countMax: number,
    private readonly bytesMax: number,
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  get(index: number): Entry | undefined {
    if (this.size === 0) return undefined;
    const position = index - this.entries[this.head]!.index;
    return position >= 0 && position < this.size ? this.entries[this.head + position] : undefined;
  }

  /** Adds the entry that follows the newest one; anything else restarts the run at it. */
  add(entry: Entry): void {
    const newest = this.size > 0 ? this.entries[this.entries.length - 1] : undefined;
    if (newest !== undefined && newest.index + 1 !== entry.index) this.clear();
    this.entries.push(entry);
    this.bytes += entryBytes(entry);
    while (this.size > 1 && (this.size > this.countMax || this.bytes > this.bytesMax)) this.dropOldest();
    this.compactIfSparse();
  }

  truncateAfter(lastKept: number): void {
    while (this.size > 0 && this.entries[this.entries.length - 1]!.index > lastKept) {
      this.bytes -= entryBytes(this.entries.pop()!);
    }
    if (this.size === 0) this.clear();
  }

  dropBefore(firstKept: number): void {
    while (this.size > 0 && this.entries[this.head]!.index < firstKept) this.dropOldest();
    this.compactIfSparse();
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }

  private dropOldest(): void {
    this.bytes -= entryBytes(this.entries[this.head]!);
    this.entries[this.head] = undefined as unknown as Entry; // let the dropped entry be collected
    this.head++;
  }

  private compactIfSparse(): void {
    if (this.head > 0 && this.head >= this.size) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
