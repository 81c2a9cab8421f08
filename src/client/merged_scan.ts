/**
 * A scan across shards as one stream in global key order (scatter-gather): every piece of the
 * hash space the scan visits (scan_source.ts) is asked for a page at once, and entries are given
 * smallest key first, a piece's next page fetched when its last one runs out. A key is given only
 * once every piece still going has a page in hand, so nothing smaller can come later: when key K
 * has been given, every key of the scan up to K has been (as each shard had it when asked).
 *
 * So the progress of a scan is the last key given and the pieces finished (scan_cursor.ts): each
 * piece still going resumes after that key. When a piece's shard no longer serves it (a split, a
 * merge or a move since the map was read), its range is planned again from the updated map and
 * the new pieces resume after that key too; what the old piece had fetched and not given is
 * dropped. A piece narrower than its shard keeps only the entries whose partition hash falls in
 * its range.
 *
 * Consistency: each page is one shard's state at one moment, as for a scan of one shard page by
 * page; a scan across shards is not one snapshot of the cluster.
 */
import type { Entry, ScanOptions } from "../engine/types.ts";
import type { HashRange } from "../cluster/placement/hash_range.ts";
import { hashPartitionKey, type PartitionHash } from "../cluster/placement/partition_hash.ts";
import { partitionKeyLength } from "../cluster/placement/partition_key.ts";
import { rangeContains } from "../cluster/placement/hash_range.ts";
import { addRange } from "./scan_ranges.ts";
import { assert } from "../util/assert.ts";
import type { ScanProgress } from "./scan_cursor.ts";
import { scanScope, type ScanPiece, type ScanSource } from "./scan_source.ts";
import type { RequestOptions } from "./types.ts";

interface PieceState {
  piece: ScanPiece;
  /** Entries fetched and not yet given, from `next` on. */
  entries: Entry[];
  next: number;
  /** Where the next page starts (after this key); null before the first page when nothing was given yet. */
  cursor: Uint8Array | null;
  /** The shard said no more entries follow the ones in hand. */
  exhausted: boolean;
}

const scratchHash: PartitionHash = { high: 0, low: 0 };

/** A piece with nothing fetched yet, its first page starting after `cursor`. */
function fresh(piece: ScanPiece, cursor: Uint8Array | null): PieceState {
  return { piece, entries: [], next: 0, cursor, exhausted: false };
}

/** Bytewise order of keys, as the engine orders them. */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
  return a.length - b.length;
}

export class MergedScan {
  private pieces: PieceState[];
  private after: Uint8Array | null;
  private done: HashRange[];
  private readonly within: HashRange;
  private readonly singlePartition: boolean;

  /** `request` holds the scan's bounds (prefix or start/end); `from` the progress of a cursor to resume. */
  constructor(
    private readonly source: ScanSource, private readonly request: ScanOptions,
    private readonly options: RequestOptions, from: ScanProgress | null,
  ) {
    ({ within: this.within, singlePartition: this.singlePartition } = scanScope(request));
    this.after = from?.after ?? null;
    this.done = from?.done ?? [];
    this.pieces = this.planned(this.within);
  }

  /** Whether every piece is finished: nothing more to give. */
  get finished(): boolean {
    return this.pieces.length === 0;
  }

  /** How far the scan got, for a cursor. */
  progress(): ScanProgress {
    return { after: this.after, done: this.done };
  }

  /** Up to `count` entries in key order; fewer only when the scan is finished. A page fetched asks for `pageLimit`. */
  async take(count: number, pageLimit: number): Promise<Entry[]> {
    assert(count >= 1 && pageLimit >= 1, `a scan takes entries in pages of at least one: ${count}, ${pageLimit}`);
    const taken: Entry[] = [];
    while (taken.length < count) {
      await this.fill(pageLimit);
      const state = this.smallestHead();
      if (state === null) break;
      const entry = state.entries[state.next++]!;
      taken.push(entry);
      this.after = entry.key;
      this.finishIfDone(state);
    }
    return taken;
  }

  private planned(range: HashRange): PieceState[] {
    const cursor = this.after;
    return this.source.plan(range, this.done).map((piece) => fresh(piece, cursor));
  }

  /** Fetches, all at once, a page for every piece going that has none in hand, until each has one or is finished. */
  private async fill(limit: number): Promise<void> {
    let empty = this.pieces.filter((state) => state.next === state.entries.length && !state.exhausted);
    while (empty.length > 0) {
      await Promise.all(empty.map((state) => this.fetch(state, limit)));
      for (const state of [...this.pieces]) this.finishIfDone(state);
      empty = this.pieces.filter((state) => state.next === state.entries.length && !state.exhausted);
    }
  }

  private async fetch(state: PieceState, limit: number): Promise<void> {
    const request: ScanOptions = { ...this.request, limit };
    if (state.cursor !== null) request.cursor = state.cursor;
    const page = await this.source.page(state.piece, request, this.options);
    if (page === null) {
      // The shard moved on: its range is planned again, resuming after the last key given.
      const position = this.pieces.indexOf(state);
      if (position >= 0) this.pieces.splice(position, 1, ...this.planned(state.piece.range));
      return;
    }
    const filtered = state.piece.partial && !this.singlePartition;
    state.entries = filtered ? page.entries.filter((entry) => this.inPiece(entry, state.piece)) : page.entries;
    state.next = 0;
    state.cursor = page.nextCursor;
    state.exhausted = page.nextCursor === null;
  }

  private inPiece(entry: Entry, piece: ScanPiece): boolean {
    const key = entry.key;
    return rangeContains(piece.range, hashPartitionKey(key, 0, partitionKeyLength(key), scratchHash));
  }

  /** A piece with nothing in hand and no more to fetch is finished: its range joins the done ones. */
  private finishIfDone(state: PieceState): void {
    if (!state.exhausted || state.next < state.entries.length) return;
    const position = this.pieces.indexOf(state);
    if (position < 0) return;
    this.pieces.splice(position, 1);
    this.done = addRange(this.done, state.piece.range);
  }

  private smallestHead(): PieceState | null {
    let smallest: PieceState | null = null;
    for (const state of this.pieces) {
      if (state.next === state.entries.length) continue;
      if (smallest === null) {
        smallest = state;
      } else if (compareKeys(state.entries[state.next]!.key, smallest.entries[smallest.next]!.key) < 0) {
        smallest = state;
      }
    }
    return smallest;
  }
}
