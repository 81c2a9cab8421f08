/**
 * What a Raft node keeps durably, split in two: the read side the core uses (`Storage`)
 * and the write side the driver uses to persist each Ready (`PersistentStorage`).
 * MemoryStorage implements both for tests and the simulator; the driver of the next issue
 * puts the same interface on src/log/ segment files.
 *
 * Indexes: the storage holds entries [firstIndex(), lastIndex()] and a snapshot (index 0,
 * term 0 initially) whose index is at least firstIndex() - 1: a driver may keep a few
 * entries older than its snapshot so slightly slow followers need no snapshot.
 */
import { assert, fail } from "../../util/assert.ts";
import { cloneConfState } from "./config_entry.ts";
import { CompactedError } from "./errors.ts";
import type { ConfState, Entry, HardState, Snapshot } from "./types.ts";
import { entryBytes } from "./entries.ts";

export interface InitialState {
  hardState: HardState;
  /** Membership as of the storage's snapshot; later config entries are in the log. */
  confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /** Entries [low, highExclusive), at least one when any, at most about `bytesMax` bytes. */
  entries(low: number, highExclusive: number, bytesMax: number): Entry[];
  /** Term of the entry at `index` in [firstIndex() - 1, lastIndex()]; throws CompactedError below. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The newest snapshot; its index is at least firstIndex() - 1. */
  snapshot(): Snapshot;
}

interface PersistentStorage extends Storage {
  setHardState(hardState: HardState): void;
  /** Appends entries, first dropping any stored entries at or after entries[0].index. */
  append(entries: Entry[]): void;
  /** Replaces everything with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void;
}

export class MemoryStorage implements PersistentStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private latestSnapshot: Snapshot;
  /** log[0] is a dummy entry standing for the snapshot (its index and term). */
  private log: Entry[];

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.latestSnapshot = { metadata: { index: 0, term: 0, confState: cloneConfState(confState) }, data: new Uint8Array(0) };
    this.log = [{ index: 0, term: 0, kind: "normal", data: new Uint8Array(0) }];
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.latestSnapshot.metadata.confState) };
  }

  firstIndex(): number {
    return this.log[0].index + 1;
  }

  lastIndex(): number {
    return this.log[0].index + this.log.length - 1;
  }

  term(index: number): number {
    const offset = this.log[0].index;
    if (index < offset) throw new CompactedError(`term of ${index}: compacted up to ${offset}`);
    if (!(index <= this.lastIndex())) fail(`term of ${index}: beyond last index ${this.lastIndex()}`);
    return this.log[index - offset].term;
  }

  entries(low: number, highExclusive: number, bytesMax: number): Entry[] {
    const offset = this.log[0].index;
    if (low <= offset) throw new CompactedError(`entries from ${low}: compacted up to ${offset}`);
    if (!(highExclusive <= this.lastIndex() + 1)) fail(`entries up to ${highExclusive}: beyond last index`);
    return limitBytes(this.log.slice(low - offset, highExclusive - offset), bytesMax);
  }

  snapshot(): Snapshot {
    return this.latestSnapshot;
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    const offset = this.log[0].index;
    if (!(first <= this.lastIndex() + 1)) fail(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first + entries.length - 1 <= offset) return;
    const kept = first <= offset ? entries.slice(offset + 1 - first) : entries;
    const keepUntil = kept[0].index - offset;
    // Appending at the end is the common case: push rather than copy the whole log.
    if (keepUntil < this.log.length) this.log.length = keepUntil;
    for (const entry of kept) this.log.push(entry);
  }

  applySnapshot(snapshot: Snapshot): void {
    assert(snapshot.metadata.index >= this.latestSnapshot.metadata.index, "applySnapshot: older snapshot");
    this.latestSnapshot = snapshot;
    const { index, term } = snapshot.metadata;
    this.log = [{ index, term, kind: "normal", data: new Uint8Array(0) }];
  }

  /** Records a state-machine snapshot taken at `index` (<= the applied index); see compact(). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    assert(index >= this.latestSnapshot.metadata.index, "createSnapshot: older than the current snapshot");
    assert(index <= this.lastIndex(), "createSnapshot: beyond the last index");
    const term = this.term(index);
    this.latestSnapshot = { metadata: { index, term, confState: cloneConfState(confState) }, data };
    return this.latestSnapshot;
  }

  /** Drops entries up to `index` (log compaction, §5.1); take a snapshot at or past it first. */
  compact(index: number): void {
    const offset = this.log[0].index;
    if (index <= offset) return;
    assert(index <= this.lastIndex(), "compact: beyond the last index");
    assert(index <= this.latestSnapshot.metadata.index, "compact: entries not covered by a snapshot");
    const dummy = this.log[index - offset];
    const head: Entry = { index: dummy.index, term: dummy.term, kind: "normal", data: new Uint8Array(0) };
    this.log = [head, ...this.log.slice(index - offset + 1)];
  }
}

/** A prefix of `entries` of at most `bytesMax` bytes, but never empty when `entries` is not. */
export function limitBytes(entries: Entry[], bytesMax: number): Entry[] {
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    total += entryBytes(entries[i]);
    if (total > bytesMax && i > 0) return entries.slice(0, i);
  }
  return entries;
}
