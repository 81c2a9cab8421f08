/**
 * Durable Raft storage on src/log/ segment files, one folder per Raft group:
 *
 *   DIR/log/         the entries: record i of the SegmentedLog is Raft entry i, its payload
 *                    the encoding of raft_entry_format.ts (also the wire form of entries)
 *   DIR/hard_state   term, vote, commit (hard_state_file.ts)
 *   DIR/snapshot     the newest snapshot, metadata and image (snapshot_file.ts)
 *
 * persist() writes a Ready's parts in the order that keeps every crash state valid:
 * a new term or vote first (synced: it must be durable before any message of that term),
 * then the snapshot (replacing the log), then the entries (group-committed by the log), then
 * the new commit index (not synced: volatile in Raft). Reads are synchronous and served from
 * memory where it pays: terms from runs (term_runs.ts), recent entries decoded (recent_entries.ts).
 * Operations that write run one at a time, in call order.
 */
import path from "node:path";
import { assert, fail } from "../../util/assert.ts";
import { appendPayloadsPerCallMax } from "../../log/constants.ts";
import type { SegmentedLog } from "../../log/segmented_log.ts";
import { entryBytes } from "../raft/entries.ts";
import { CompactedError } from "../raft/errors.ts";
import type { InitialState } from "../raft/storage.ts";
import type { ConfState, Entry, HardState, Snapshot } from "../raft/types.ts";
import { cloneConfState } from "../raft/config_entry.ts";
import { decodeEntry, encodeEntry, EntryFormatError } from "./raft_entry_format.ts";
import type { HardStateFile } from "./hard_state_file.ts";
import { RecentEntries } from "./recent_entries.ts";
import { writeSnapshotFile } from "./snapshot_file.ts";
import { entryCacheBytesMax, entryCacheCountMax, logFolderName, snapshotFileName } from "./storage_constants.ts";
import { recoverStorage } from "./storage_recovery.ts";
import { TermRuns } from "./term_runs.ts";
import {
  type DurableRaftStorage,
  type PersistBatch,
  type RaftDiskStorageOptions,
  RaftStorageCorruptError,
  type RaftStorageStats,
  zeroRaftStorageCounters,
} from "./types.ts";

export class RaftDiskStorage implements DurableRaftStorage {
  private readonly recent = new RecentEntries(entryCacheCountMax, entryCacheBytesMax);
  private writeQueue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly counters = zeroRaftStorageCounters();

  private constructor(
    private readonly dir: string,
    private readonly durable: boolean,
    private readonly log: SegmentedLog,
    private readonly hardStateFile: HardStateFile,
    private hardState: HardState,
    private latestSnapshot: Snapshot,
    private terms: TermRuns,
  ) {}

  /**
   * Opens (or creates) the storage in `dir`. `initialConfState` is the membership of a new
   * store, written at once as its index-0 snapshot; an existing store ignores it.
   */
  static async open(dir: string, options: RaftDiskStorageOptions, initialConfState: ConfState = { voters: [], learners: [] }): Promise<RaftDiskStorage> {
    const recovered = await recoverStorage(dir, options, cloneConfState(initialConfState));
    const durable = options.fsync !== "unsafe-no-fsync";
    const { log, hardStateFile, hardState, snapshot, terms } = recovered;
    return new RaftDiskStorage(dir, durable, log, hardStateFile, hardState, snapshot, terms);
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.latestSnapshot.metadata.confState) };
  }

  firstIndex(): number {
    return this.terms.anchorIndex() + 1;
  }

  lastIndex(): number {
    return this.terms.lastIndex();
  }

  term(index: number): number {
    if (index < this.terms.anchorIndex()) throw new CompactedError(`term of ${index}: compacted up to ${this.terms.anchorIndex()}`);
    return this.terms.termAt(index);
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    if (low < this.firstIndex()) throw new CompactedError(`entries from ${low}: compacted up to ${this.terms.anchorIndex()}`);
    if (!(highExclusive <= this.lastIndex() + 1)) fail(`entries up to ${highExclusive}: beyond last index ${this.lastIndex()}`);
    const result: Entry[] = [];
    let totalBytes = 0;
    for (let index = low; index < highExclusive; index++) {
      const entry = this.entryAt(index);
      totalBytes += entryBytes(entry);
      if (totalBytes > bytesMax && result.length > 0) break;
      result.push(entry);
    }
    return result;
  }

  snapshot(): Snapshot {
    return this.latestSnapshot;
  }

  persist(batch: PersistBatch): Promise<void> {
    return this.enqueueWrite(() => this.persistNow(batch));
  }

  compact(throughIndex: number, snapshot: Snapshot): Promise<void> {
    return this.enqueueWrite(() => this.compactNow(throughIndex, snapshot));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeQueue.catch(() => {});
    await this.log.close();
    this.hardStateFile.close();
  }

  stats(): RaftStorageStats {
    return { ...this.counters, logSizeBytes: this.log.sizeBytes() };
  }

  private enqueueWrite(work: () => Promise<void>): Promise<void> {
    assert(!this.closed, "raft storage used after close");
    const run = this.writeQueue.then(work);
    this.writeQueue = run.catch(() => {});
    return run;
  }

  private async persistNow(batch: PersistBatch): Promise<void> {
    const next = batch.hardState;
    if (next !== undefined && (next.term !== this.hardState.term || next.vote !== this.hardState.vote)) {
      this.writeHardState({ term: next.term, vote: next.vote, commit: this.hardState.commit }, true);
    }
    if (batch.snapshot !== undefined) await this.installSnapshot(batch.snapshot);
    if (batch.entries.length > 0) await this.appendEntries(batch.entries);
    if (next !== undefined && next.commit !== this.hardState.commit) this.writeHardState(next, false);
    this.counters.persistCount++;
  }

  private writeHardState(hardState: HardState, sync: boolean): void {
    if (hardState.term < this.hardState.term) fail(`hard state term going back from ${this.hardState.term} to ${hardState.term}`);
    this.hardStateFile.write(hardState, sync);
    this.hardState = { ...hardState };
    this.counters.hardStateWrites++;
  }

  /** A snapshot from the leader replaces the whole log (as MemoryStorage.applySnapshot does). */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    assert(index >= this.latestSnapshot.metadata.index, "installing a snapshot older than the stored one");
    writeSnapshotFile(path.join(this.dir, snapshotFileName), snapshot, this.durable);
    this.latestSnapshot = snapshot;
    this.counters.snapshotsWritten++;
    await this.log.resetTo(index + 1);
    this.terms = new TermRuns(index, term);
    this.recent.clear();
  }

  /** Not async in the common case (an append at the end): one promise per Ready, the log's. */
  private appendEntries(received: readonly Entry[]): Promise<unknown> | undefined {
    const anchor = this.terms.anchorIndex();
    if (received[0].index > this.lastIndex() + 1) fail(`append at ${received[0].index} leaves a gap after ${this.lastIndex()}`);
    const entries: Entry[] = [];
    for (const entry of received) if (entry.index > anchor) entries.push(entry);
    if (entries.length === 0) return undefined;
    if (entries[0].index <= this.lastIndex()) return this.replaceSuffix(entries);
    return this.appendAtEnd(entries);
  }

  /** A new leader's entries replace a stale tail: cut it, then append. */
  private async replaceSuffix(entries: Entry[]): Promise<void> {
    const first = entries[0].index;
    this.counters.entriesTruncated += this.lastIndex() - first + 1;
    await this.log.truncateSuffix(first - 1);
    this.terms.truncateAfter(first - 1);
    this.recent.truncateAfter(first - 1);
    await this.appendAtEnd(entries);
  }

  private appendAtEnd(entries: Entry[]): Promise<unknown> {
    const appends: Promise<number>[] = [];
    for (let start = 0; start < entries.length; start += appendPayloadsPerCallMax) {
      const payloads: Uint8Array[] = [];
      for (let position = start; position < Math.min(entries.length, start + appendPayloadsPerCallMax); position++) {
        const entry = entries[position]!;
        payloads.push(encodeEntry(entry));
        this.terms.push(entry.index, entry.term);
        this.recent.add(entry);
      }
      appends.push(this.log.append(payloads));
    }
    this.counters.entriesAppended += entries.length;
    return appends.length === 1 ? appends[0]! : Promise.all(appends);
  }

  private async compactNow(throughIndex: number, snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    if (throughIndex > index) fail(`compact through ${throughIndex}: past the snapshot at ${index}`);
    assert(index >= this.latestSnapshot.metadata.index, "compact: snapshot older than the stored one");
    assert(index <= this.lastIndex() && term === this.term(index), "compact: snapshot does not match the log");
    writeSnapshotFile(path.join(this.dir, snapshotFileName), snapshot, this.durable);
    this.latestSnapshot = snapshot;
    this.counters.snapshotsWritten++;
    if (throughIndex <= this.terms.anchorIndex()) return;
    this.terms.dropBefore(throughIndex);
    this.recent.dropBefore(throughIndex + 1);
    await this.log.compactPrefix(throughIndex + 1);
  }

  private entryAt(index: number): Entry {
    const cached = this.recent.get(index);
    if (cached !== undefined) {
      this.counters.entryCacheHits++;
      return cached;
    }
    this.counters.entryCacheMisses++;
    try {
      // A copy: the log's views of its newest segment are rewritten by a later truncation.
      return decodeEntry(index, this.log.read(index).slice());
    } catch (error) {
      if (error instanceof EntryFormatError) throw new RaftStorageCorruptError(logFolderName, error.message);
      throw error;
    }
  }
}
