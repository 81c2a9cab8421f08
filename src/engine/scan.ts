/**
 * Range and prefix scans over the ordered index. Bounds combine: the page starts at the
 * greatest of start, prefix and the cursor's successor, and stops at end or past the prefix.
 */
import type { IndexEntry, KeyIndex } from "./key_index.ts";
import { keyToString, stringToKey } from "./key_string.ts";
import type { Entry, ScanOptions, ScanPage } from "./types.ts";

/** The smallest string greater than `keyString` in bytewise order: append a zero byte. */
function successor(keyString: string): string {
  return `${keyString}\u0000`;
}

function lowerBound(options: ScanOptions): string | undefined {
  const candidates: string[] = [];
  if (options.start !== undefined) candidates.push(keyToString(options.start));
  if (options.prefix !== undefined) candidates.push(keyToString(options.prefix));
  if (options.cursor !== undefined) candidates.push(successor(keyToString(options.cursor)));
  if (candidates.length === 0) return undefined;
  return candidates.reduce((greatest, candidate) => (candidate > greatest ? candidate : greatest));
}

export function scanIndex(
  index: KeyIndex,
  options: ScanOptions,
  limit: number,
  readValue: (entry: IndexEntry) => Uint8Array,
): ScanPage {
  const prefix = options.prefix === undefined ? undefined : keyToString(options.prefix);
  const end = options.end === undefined ? undefined : keyToString(options.end);
  const entries: Entry[] = [];
  let nextCursor: Uint8Array | null = null;
  for (const [keyString, entry] of index.entriesFrom(lowerBound(options))) {
    if (end !== undefined && keyString >= end) break;
    if (prefix !== undefined && !keyString.startsWith(prefix)) break;
    if (entries.length === limit) {
      nextCursor = entries[limit - 1].key;
      break;
    }
    entries.push({ key: stringToKey(keyString), value: readValue(entry), version: entry.version });
  }
  return { entries, nextCursor };
}
