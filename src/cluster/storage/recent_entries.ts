/**
 * The newest entries of the log, decoded, in memory: a leader sends what it just appended and
 * a follower checks terms of what it just received, so nearly every read of entries() lands
 * here instead of decoding a record again. Holds a contiguous run ending at the log's last
 * index, bounded by count and by data bytes (oldest dropped first).
 */
import type { Entry } from "../raft/types.ts";
import { entryBytes } from "../raft/entries.ts";

export class RecentEntries {
  private entries: Entry[] = [];
  private bytes = 0;

  constructor(
    private readonly countMax: number,
    private readonly bytesMax: number,
  ) {}

  get(index: number): Entry | undefined {
    if (this.entries.length === 0) return undefined;
    const position = index - this.entries[0].index;
    return position >= 0 && position < this.entries.length ? this.entries[position] : undefined;
  }

  /** Adds the entry that follows the newest one; anything else restarts the run at it. */
  add(entry: Entry): void {
    const newest = this.entries[this.entries.length - 1];
    if (newest !== undefined && newest.index + 1 !== entry.index) this.clear();
    this.entries.push(entry);
    this.bytes += entryBytes(entry);
    let drop = 0;
    while (this.entries.length - drop > 1 && (this.entries.length - drop > this.countMax || this.bytes > this.bytesMax)) {
      this.bytes -= entryBytes(this.entries[drop]);
      drop++;
    }
    if (drop > 0) this.entries = this.entries.slice(drop);
  }

  truncateAfter(lastKept: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].index > lastKept) {
      this.bytes -= entryBytes(this.entries.pop()!);
    }
  }

  dropBefore(firstKept: number): void {
    while (this.entries.length > 0 && this.entries[0].index < firstKept) this.bytes -= entryBytes(this.entries.shift()!);
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }
}
