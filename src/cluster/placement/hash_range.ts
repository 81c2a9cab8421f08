/**
 * Ranges of the 64-bit hash space (docs/glossary.md, "range"): a shard holds the partitions whose
 * hash h satisfies start <= h < end. The space is [0, 2^64); a shard map cuts it into contiguous
 * ranges, one per shard.
 *
 * Bounds: a range's start is a hash (0 .. 2^64 - 1); its end is a hash or the end of space,
 * 2^64, which only the last range of a map has. A bound is kept as a PartitionHash whose high
 * half may reach 2^32: the end of space is { high: 2^32, low: 0 }, so bounds and hashes compare
 * with the same compareHashes, and no range needs an "open end" special case.
 *
 * Printed form (the JSON `range: [startHex, endHex]` of `filestore cluster shards --json`): each
 * bound in 16 lower-case hex digits, most significant first, as a hash prints (partition_hash.ts),
 * except the end of space, which is 2^64 written in hex, 17 digits: "10000000000000000"
 * (endOfSpaceHex). Any big-integer parse reads it as 2^64, so end - start is a range's size
 * in every language; a reader with only u64 must treat that one string as "to the end".
 */
import { assert } from "../../util/assert.ts";
import { compareHashes, formatHash, type PartitionHash } from "./partition_hash.ts";
import { shardsMax, shardsMin } from "./placement_limits.ts";

/** A range bound: a hash, or the end of space (high = 2^32). */
export type HashBound = Readonly<PartitionHash>;

/** start <= hash < end, in the unsigned order of hashes. */
export interface HashRange {
  readonly start: HashBound;
  readonly end: HashBound;
}

const twoTo32 = 0x100000000;

/** The first hash of the space, where the first range of every map starts. */
export const startOfSpace: HashBound = Object.freeze({ high: 0, low: 0 });

/** 2^64, just past the last hash: where the last range of every map ends. */
export const endOfSpace: HashBound = Object.freeze({ high: twoTo32, low: 0 });

/** How the end of space prints: 2^64 in hex (17 digits; every other bound has 16). */
export const endOfSpaceHex = formatHash(endOfSpace);

const boundHexPattern = /^[0-9a-f]{16}$/;

/**
 * `count` contiguous ranges covering the whole space, for a new cluster (`--shards N`): range i
 * starts at floor(i * 2^64 / count), so sizes differ by at most one hash. BigInt is fine here:
 * this runs once, at bootstrap.
 */
export function equalRanges(count: number): HashRange[] {
  assert(Number.isInteger(count) && count >= shardsMin && count <= shardsMax, `shard count ${count} out of bounds`);
  const starts: HashBound[] = [];
  for (let index = 0; index <= count; index++) starts.push(boundOfBigInt((BigInt(index) << 64n) / BigInt(count)));
  const ranges: HashRange[] = [];
  for (let index = 0; index < count; index++) ranges.push({ start: starts[index]!, end: starts[index + 1]! });
  return ranges;
}

/** Whether `hash` lies in `range`. */
export function rangeContains(range: HashRange, hash: PartitionHash): boolean {
  return compareHashes(range.start, hash) <= 0 && compareHashes(hash, range.end) < 0;
}

/** [startHex, endHex], the printed form (see the head comment). */
export function formatRange(range: HashRange): [string, string] {
  return [formatHash(range.start), formatHash(range.end)];
}

/**
 * The bound a printed one stands for: 16 hex digits (upper or lower case), or endOfSpaceHex when
 * `endAllowed`; null for anything else, for the caller to refuse with its own context.
 */
export function parseBound(text: string, endAllowed: boolean): HashBound | null {
  if (endAllowed && text === endOfSpaceHex) return endOfSpace;
  const lower = text.toLowerCase();
  if (!boundHexPattern.test(lower)) return null;
  return { high: Number.parseInt(lower.slice(0, 8), 16), low: Number.parseInt(lower.slice(8), 16) };
}

/** Whether `bound` is well formed: u32 halves, or exactly the end of space. */
export function isBound(bound: HashBound): boolean {
  const isHalf = (value: number) => Number.isInteger(value) && value >= 0 && value < twoTo32;
  return (isHalf(bound.high) && isHalf(bound.low)) || (bound.high === twoTo32 && bound.low === 0);
}

/** 0 .. 2^64 as a bound. */
function boundOfBigInt(value: bigint): HashBound {
  assert(value >= 0n && value <= 1n << 64n, `bound ${value} outside the hash space`);
  return { high: Number(value >> 32n), low: Number(value & 0xffffffffn) };
}
