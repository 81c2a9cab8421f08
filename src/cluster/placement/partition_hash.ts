/**
 * The hash of a partition key (docs/glossary.md, "hash"): the 64-bit number that places a
 * partition in a shard. Clients in other languages must compute exactly the same, so it is
 * specified here, not only implemented.
 *
 * Specification
 * - Algorithm: XXH64 (xxHash, 64-bit variant) as published in the xxHash specification
 *   (github.com/Cyan4973/xxHash, doc/xxhash_spec.md), with seed 0, over the bytes of the
 *   partition key (partition_key.ts) and nothing else: no length prefix, no terminator.
 *   Every language has an implementation; any of them, given seed 0, gives the same number.
 * - Input byte order: as the specification says, 8- and 4-byte lanes are read little-endian.
 * - Result: an unsigned 64-bit integer. Hashes order as unsigned integers (0 first, 2^64 - 1
 *   last); shard ranges (hash_range.ts) are intervals of that order.
 * - Printed form: 16 lower-case hexadecimal digits, most significant first, zero-padded, no
 *   prefix (as `xxhsum -H1` prints XXH64 in canonical form): "" hashes to ef46db3751d8e999.
 * - Test vectors (seed 0): "" → ef46db3751d8e999, "a" → d24ec4f1a98c6e5b,
 *   "abc" → 44bc2cf5ad770999, "Nobody inspects the spammish repetition" (39 bytes: one 32-byte
 *   stripe and a tail) → fbcea83c8a378bf1, "orders/u123" → 09af411bd685f46d.
 *   test/cluster/placement/partition_hash.test.ts checks these, every length up to 160 bytes
 *   and random inputs against a second implementation (Bun's).
 *
 * Representation: JavaScript numbers hold 53 bits exactly, and BigInt arithmetic allocates, so
 * the hash is kept as two unsigned 32-bit halves, `high` and `low`; two hashes compare by
 * `high`, then `low`. The arithmetic below works on such halves (Math.imul and 16-bit limbs for
 * the products), and the hot path, hashPartitionKey, allocates nothing: it writes into a
 * PartitionHash the caller owns. BigInt and hex strings are for display and parsing only.
 */
import { fail } from "../../util/assert.ts";

/** An unsigned 64-bit hash as two u32 halves: the value is high * 2^32 + low. */
export interface PartitionHash {
  high: number;
  low: number;
}

// XXH64's primes as high and low halves. Inside this module halves are signed int32 (`| 0`), which
// the JIT keeps in integer registers (unsigned values above 2^31 would be doubles, about five
// times slower here); results are made unsigned (`>>> 0`) on the way out.
const prime1High = 0x9e3779b1 | 0;
const prime1Low = 0x85ebca87 | 0;
const prime2High = 0xc2b2ae3d | 0;
const prime2Low = 0x27d4eb4f | 0;
const prime3High = 0x165667b1 | 0;
const prime3Low = 0x9e3779f9 | 0;
const prime4High = 0x85ebca77 | 0;
const prime4Low = 0xc2b2ae63 | 0;
const prime5High = 0x27d4eb2f | 0;
const prime5Low = 0x165667c5 | 0;

const twoTo32 = 0x100000000;
/** XXH64 consumes its input in stripes of four 8-byte lanes. */
const stripeBytes = 32;

// The 64-bit helpers below leave their result here rather than allocating a pair: the hash is
// computed on every routed request. Single-threaded JavaScript makes this safe; nothing else
// reads these between a helper's return and its caller's next line.
let resultHigh = 0;
let resultLow = 0;

/** Hashes bytes [start, end) of `bytes` into `into` (and returns it); allocates nothing. */
export function hashPartitionKey(bytes: Uint8Array, start: number, end: number, into: PartitionHash): PartitionHash {
  if (!(0 <= start && start <= end && end <= bytes.length)) fail(`hash of bytes [${start}, ${end}) of ${bytes.length}`);
  let offset = start;
  if (end - start >= stripeBytes) {
    offset = consumeStripes(bytes, start, end);
  } else {
    resultHigh = prime5High; // seed 0 + prime 5
    resultLow = prime5Low;
  }
  const length = end - start;
  add(resultHigh, resultLow, Math.floor(length / twoTo32), length | 0);
  offset = consumeTail(bytes, offset, end);
  avalanche();
  into.high = resultHigh >>> 0;
  into.low = resultLow >>> 0;
  return into;
}

/** The hash of all of `bytes`, as a new PartitionHash (for callers off the hot path). */
export function partitionHashOf(bytes: Uint8Array): PartitionHash {
  return hashPartitionKey(bytes, 0, bytes.length, { high: 0, low: 0 });
}

/** Negative, zero or positive as `a` is below, equal to or above `b` as unsigned 64-bit integers. */
export function compareHashes(a: PartitionHash, b: PartitionHash): number {
  return a.high !== b.high ? a.high - b.high : a.low - b.low;
}

/** The printed form: 16 lower-case hex digits, most significant first. */
export function formatHash(hash: PartitionHash): string {
  return hash.high.toString(16).padStart(8, "0") + hash.low.toString(16).padStart(8, "0");
}

/** The hash as a bigint, for display and tests. */
export function hashToBigInt(hash: PartitionHash): bigint {
  return (BigInt(hash.high) << 32n) | BigInt(hash.low);
}

/** Whole stripes of [start, end) into four accumulators, converged into the result; returns where the tail starts. */
function consumeStripes(bytes: Uint8Array, start: number, end: number): number {
  // Accumulators for seed 0: prime1 + prime2, prime2, 0, -prime1.
  add(prime1High, prime1Low, prime2High, prime2Low);
  let v1High = resultHigh, v1Low = resultLow;
  let v2High = prime2High, v2Low = prime2Low;
  let v3High = 0, v3Low = 0;
  negate(prime1High, prime1Low);
  let v4High = resultHigh, v4Low = resultLow;
  let offset = start;
  for (; offset + stripeBytes <= end; offset += stripeBytes) {
    round(v1High, v1Low, readHigh(bytes, offset), readLow(bytes, offset));
    v1High = resultHigh, v1Low = resultLow;
    round(v2High, v2Low, readHigh(bytes, offset + 8), readLow(bytes, offset + 8));
    v2High = resultHigh, v2Low = resultLow;
    round(v3High, v3Low, readHigh(bytes, offset + 16), readLow(bytes, offset + 16));
    v3High = resultHigh, v3Low = resultLow;
    round(v4High, v4Low, readHigh(bytes, offset + 24), readLow(bytes, offset + 24));
    v4High = resultHigh, v4Low = resultLow;
  }
  rotateLeft(v1High, v1Low, 1);
  let high = resultHigh, low = resultLow;
  rotateLeft(v2High, v2Low, 7);
  add(high, low, resultHigh, resultLow);
  high = resultHigh, low = resultLow;
  rotateLeft(v3High, v3Low, 12);
  add(high, low, resultHigh, resultLow);
  high = resultHigh, low = resultLow;
  rotateLeft(v4High, v4Low, 18);
  add(high, low, resultHigh, resultLow);
  mergeRound(resultHigh, resultLow, v1High, v1Low);
  mergeRound(resultHigh, resultLow, v2High, v2Low);
  mergeRound(resultHigh, resultLow, v3High, v3Low);
  mergeRound(resultHigh, resultLow, v4High, v4Low);
  return offset;
}

/** The last 0..31 bytes, folded into the result: 8-byte lanes, then a 4-byte lane, then single bytes. */
function consumeTail(bytes: Uint8Array, start: number, end: number): number {
  let offset = start;
  for (; offset + 8 <= end; offset += 8) {
    const high = resultHigh, low = resultLow;
    round(0, 0, readHigh(bytes, offset), readLow(bytes, offset));
    rotateLeft(high ^ resultHigh, low ^ resultLow, 27);
    multiply(resultHigh, resultLow, prime1High, prime1Low);
    add(resultHigh, resultLow, prime4High, prime4Low);
  }
  if (offset + 4 <= end) {
    const high = resultHigh, low = resultLow;
    multiply(0, readLow(bytes, offset), prime1High, prime1Low);
    rotateLeft(high ^ resultHigh, low ^ resultLow, 23);
    multiply(resultHigh, resultLow, prime2High, prime2Low);
    add(resultHigh, resultLow, prime3High, prime3Low);
    offset += 4;
  }
  for (; offset < end; offset++) {
    const high = resultHigh, low = resultLow;
    multiply(0, bytes[offset]!, prime5High, prime5Low);
    rotateLeft(high ^ resultHigh, low ^ resultLow, 11);
    multiply(resultHigh, resultLow, prime1High, prime1Low);
  }
  return offset;
}

/** XXH64's round: (accumulator + input * prime2) rotated left by 31, times prime1. */
function round(accumulatorHigh: number, accumulatorLow: number, inputHigh: number, inputLow: number): void {
  multiply(inputHigh, inputLow, prime2High, prime2Low);
  add(accumulatorHigh, accumulatorLow, resultHigh, resultLow);
  rotateLeft(resultHigh, resultLow, 31);
  multiply(resultHigh, resultLow, prime1High, prime1Low);
}

/** XXH64's merge of an accumulator into the converged hash: (hash ^ round(0, value)) * prime1 + prime4. */
function mergeRound(hashHigh: number, hashLow: number, valueHigh: number, valueLow: number): void {
  round(0, 0, valueHigh, valueLow);
  multiply(hashHigh ^ resultHigh, hashLow ^ resultLow, prime1High, prime1Low);
  add(resultHigh, resultLow, prime4High, prime4Low);
}

/** XXH64's final mix of the result: xor-shift 33, times prime2, xor-shift 29, times prime3, xor-shift 32. */
function avalanche(): void {
  multiply(resultHigh, resultLow ^ (resultHigh >>> 1), prime2High, prime2Low);
  const shiftedLow = (resultLow >>> 29) | (resultHigh << 3);
  multiply(resultHigh ^ (resultHigh >>> 29), resultLow ^ shiftedLow, prime3High, prime3Low);
  resultLow ^= resultHigh;
}

/**
 * The 64-bit product modulo 2^64: low halves' full product (the high word from 16-bit limbs,
 * whose partial sums stay below 2^32), plus the cross products, which only reach the high half.
 */
function multiply(aHigh: number, aLow: number, bHigh: number, bLow: number): void {
  const a0 = aLow & 0xffff, a1 = aLow >>> 16, b0 = bLow & 0xffff, b1 = bLow >>> 16;
  const lowCarry = ((a0 * b0) >>> 16) + a1 * b0;
  const middle = (lowCarry & 0xffff) + a0 * b1;
  const lowProductHigh = a1 * b1 + (lowCarry >>> 16) + (middle >>> 16);
  resultLow = Math.imul(aLow, bLow);
  resultHigh = (lowProductHigh + Math.imul(aHigh, bLow) + Math.imul(aLow, bHigh)) | 0;
}

function add(aHigh: number, aLow: number, bHigh: number, bLow: number): void {
  const low = (aLow >>> 0) + (bLow >>> 0);
  resultLow = low | 0;
  resultHigh = (aHigh + bHigh + (low >= twoTo32 ? 1 : 0)) | 0;
}

/** Two's complement: 2^64 - value. */
function negate(high: number, low: number): void {
  add(~high, ~low, 0, 1);
}

/** Rotation left by 1..31 bits (XXH64 rotates by 1, 7, 11, 12, 18, 23, 27 and 31). */
function rotateLeft(high: number, low: number, bits: number): void {
  resultHigh = (high << bits) | (low >>> (32 - bits));
  resultLow = (low << bits) | (high >>> (32 - bits));
}

/** The little-endian 32 bits at `offset` (as int32). */
function readLow(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}
/** The high half of the little-endian u64 at `offset`. */
function readHigh(bytes: Uint8Array, offset: number): number {
  return readLow(bytes, offset + 4);
}
