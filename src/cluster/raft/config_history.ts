/**
 * The configurations found in the log, newest last (§4.1: a node uses the newest one,
 * committed or not). The first element is the configuration as of the snapshot.
 */
import { assert } from "../../util/assert.ts";
import { cloneConfState, decodeConfState } from "./config_entry.ts";
import type { ConfState, Entry } from "./types.ts";

interface IndexedConfig {
  index: number;
  confState: ConfState;
}

export class ConfigHistory {
  private configs: IndexedConfig[];

  constructor(snapshotIndex: number, confState: ConfState) {
    this.configs = [{ index: snapshotIndex, confState: cloneConfState(confState) }];
  }

  current(): ConfState {
    return this.configs[this.configs.length - 1].confState;
  }

  newestIndex(): number {
    return this.configs[this.configs.length - 1].index;
  }

  /** Entries were written to the log from entries[0].index on, replacing anything after it. */
  recordAppend(entries: Entry[]): void {
    if (entries.length === 0) return;
    this.truncateFrom(entries[0].index);
    for (const entry of entries) {
      if (entry.kind === "config") this.configs.push({ index: entry.index, confState: decodeConfState(entry.data) });
    }
  }

  private truncateFrom(index: number): void {
    while (this.configs.length > 1 && this.configs[this.configs.length - 1].index >= index) this.configs.pop();
    assert(this.configs[0].index < index, "config history: truncation below the snapshot");
  }

  /** The membership in force at `index` (the newest config entry at or before it). */
  at(index: number): ConfState {
    for (let i = this.configs.length - 1; i >= 0; i--) {
      if (this.configs[i].index <= index) return this.configs[i].confState;
    }
    return this.configs[0].confState;
  }

  /** Forgets configurations superseded at or before `index` (the log was compacted there). */
  forgetBefore(index: number): void {
    let drop = 0;
    while (drop + 1 < this.configs.length && this.configs[drop + 1].index <= index) drop++;
    if (drop > 0) this.configs.splice(0, drop);
  }

  size(): number {
    return this.configs.length;
  }

  reset(snapshotIndex: number, confState: ConfState): void {
    this.configs = [{ index: snapshotIndex, confState: cloneConfState(confState) }];
  }
}
