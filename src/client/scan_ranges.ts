/**
 * Sets of hash ranges for a scan across shards: which parts of the space are finished (scanned to
 * the end and delivered), kept sorted and merged, and what remains of a range once they are
 * taken out. Ranges are [start, end) as in src/cluster/placement/hash_range.ts.
 */
import type { HashBound, HashRange } from "../cluster/placement/hash_range.ts";
import { compareHashes } from "../cluster/placement/partition_hash.ts";

function maxBound(a: HashBound, b: HashBound): HashBound {
  return compareHashes(a, b) >= 0 ? a : b;
}

function minBound(a: HashBound, b: HashBound): HashBound {
  return compareHashes(a, b) <= 0 ? a : b;
}

/** The part both ranges cover, or null when they do not meet. */
export function intersectRanges(a: HashRange, b: HashRange): HashRange | null {
  const start = maxBound(a.start, b.start);
  const end = minBound(a.end, b.end);
  return compareHashes(start, end) < 0 ? { start, end } : null;
}

/** Whether `outer` covers all of `inner`. */
export function coversRange(outer: HashRange, inner: HashRange): boolean {
  return compareHashes(outer.start, inner.start) <= 0 && compareHashes(inner.end, outer.end) <= 0;
}

/** What remains of `range` without the ranges of `taken` (sorted, not overlapping, as addRange keeps them). */
export function subtractRanges(range: HashRange, taken: readonly HashRange[]): HashRange[] {
  const remaining: HashRange[] = [];
  let start = range.start;
  for (const piece of taken) {
    if (compareHashes(piece.end, start) <= 0) continue;
    if (compareHashes(piece.start, range.end) >= 0) break;
    if (compareHashes(start, piece.start) < 0) remaining.push({ start, end: piece.start });
    start = maxBound(start, piece.end);
  }
  if (compareHashes(start, range.end) < 0) remaining.push({ start, end: range.end });
  return remaining;
}

/** `ranges` with `range` added: sorted by start, touching or overlapping ranges merged. */
export function addRange(ranges: readonly HashRange[], range: HashRange): HashRange[] {
  const sorted = [...ranges, range].sort((a, b) => compareHashes(a.start, b.start));
  const merged: HashRange[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && compareHashes(next.start, last.end) <= 0) {
      merged[merged.length - 1] = { start: last.start, end: maxBound(last.end, next.end) };
    } else {
      merged.push(next);
    }
  }
  return merged;
}
