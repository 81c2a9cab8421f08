/** Small helpers over log entries. */
import type { Entry } from "./types.ts";

/** Fixed cost counted per entry besides its data: index, term and kind on the wire. */
const entryOverheadBytes = 24;

export function entryBytes(entry: Entry): number {
  return entry.data.length + entryOverheadBytes;
}

export function lastEntry(entries: Entry[]): Entry | undefined {
  return entries.length === 0 ? undefined : entries[entries.length - 1];
}
