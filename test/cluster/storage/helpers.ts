/** Helpers for the Raft storage tests: temporary folders, entries, hard states and snapshots. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Entry, HardState, Snapshot } from "../../../src/cluster/raft/types.ts";

export function makeTemporaryDirectory(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `filestore-raft-storage-${label}-`));
}

export function removeTemporaryDirectory(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

const encoder = new TextEncoder();

/** Entries [first, last] of one term, each carrying "<index>@<term>" as data. */
export function entriesOf(first: number, last: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = first; index <= last; index++) {
    entries.push({ index, term, kind: "normal", data: encoder.encode(`${index}@${term}`) });
  }
  return entries;
}

/** Entries as comparable plain values (data as text). */
export function plain(entries: Entry[]): { index: number; term: number; kind: string; data: string }[] {
  return entries.map((entry) => ({ index: entry.index, term: entry.term, kind: entry.kind, data: new TextDecoder().decode(entry.data) }));
}

export function hardState(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

export function snapshotAt(index: number, term: number, voters: number[], data: string): Snapshot {
  return { metadata: { index, term, confState: { voters, learners: [] } }, data: encoder.encode(data) };
}
