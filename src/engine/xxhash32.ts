/**
 * xxHash32 (seed 0) in plain JavaScript, bit for bit the same as Bun.hash.xxHash32, which it
 * replaces on the read path. For the short keys of a get the native call costs more than the
 * hashing: measured ~18 ns here against ~30 ns for a 16-byte key alone, and far more for a
 * view into a socket's receive buffer (the server's case: the native hash then took ~18% of
 * the server's CPU under pipelined gets). The same values keep checkpoints (which store the
 * hash of each key) readable; test/engine/xxhash32.test.ts compares both on random bytes.
 *
 * Algorithm: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (XXH32).
 */
const prime1 = 0x9e3779b1;
const prime2 = 0x85ebca77;
const prime3 = 0xc2b2ae3d;
const prime4 = 0x27d4eb2f;
const prime5 = 0x165667b1;
/** Bytes consumed per step of the four accumulators, and per lane. */
const stripeBytes = 16;
const laneBytes = 4;

function readLane(bytes: Uint8Array, position: number): number {
  return bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24);
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function accumulate(accumulator: number, lane: number): number {
  return Math.imul(rotateLeft((accumulator + Math.imul(lane, prime2)) | 0, 13), prime1);
}

/** The four-accumulator pass over the whole stripes of bytes[start, end); returns the merged state and where it stopped. */
function hashStripes(bytes: Uint8Array, start: number, end: number, state: { position: number }): number {
  let first = (prime1 + prime2) | 0;
  let second = prime2 | 0;
  let third = 0;
  let fourth = -prime1 | 0;
  let position = start;
  const last = end - stripeBytes;
  while (position <= last) {
    first = accumulate(first, readLane(bytes, position));
    second = accumulate(second, readLane(bytes, position + 4));
    third = accumulate(third, readLane(bytes, position + 8));
    fourth = accumulate(fourth, readLane(bytes, position + 12));
    position += stripeBytes;
  }
  state.position = position;
  return (rotateLeft(first, 1) + rotateLeft(second, 7) + rotateLeft(third, 12) + rotateLeft(fourth, 18)) | 0;
}

const stripeState = { position: 0 };

/**
 * XXH32(bytes[start, end), seed 0) as a signed int32 (Bun.hash.xxHash32 of those bytes | 0); the
 * whole array by default. A range hashes a key inside a receive buffer without a view of it.
 */
export function xxHash32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const length = end - start;
  let position = start;
  let hash = prime5;
  if (length >= stripeBytes) {
    hash = hashStripes(bytes, start, end, stripeState);
    position = stripeState.position;
  }
  hash = (hash + length) | 0;
  for (; position + laneBytes <= end; position += laneBytes) {
    hash = Math.imul(rotateLeft((hash + Math.imul(readLane(bytes, position), prime3)) | 0, 17), prime4);
  }
  for (; position < end; position++) {
    hash = Math.imul(rotateLeft((hash + Math.imul(bytes[position]!, prime5)) | 0, 11), prime1);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, prime2);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, prime3);
  hash ^= hash >>> 16;
  return hash | 0;
}
