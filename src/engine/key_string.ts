/**
 * Keys are bytes; the indexes key them by a latin1 string (one UTF-16 code unit per byte).
 * The mapping is a bijection, and JavaScript's string order on these strings equals the
 * bytewise (memcmp) order of the keys, so one string serves the hash and the ordered index.
 * Buffer's latin1Slice measured fastest of the decoders tried (TextDecoder "latin1" is
 * really windows-1252 and breaks both properties).
 */
import { xxHash32 } from "./xxhash32.ts";

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Latin1Slice }).latin1Slice;

export function keyToString(key: Uint8Array): string {
  return latin1Slice.call(key, 0, key.length);
}

/** keyToString of bytes [start, end) of `bytes`, without a view in between. */
export function keyToStringAt(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}

/**
 * The 32-bit hash of a key's bytes that the hash index is keyed by: xxHash32, as a signed int32
 * (Map lookups measured about 20% faster with int32 keys than with uint32 ones above 2^31),
 * computed in JavaScript (see xxhash32.ts for why).
 */
export function keyHash(key: Uint8Array): number {
  return xxHash32(key);
}

/** Bytes of a key held as words in an index entry (see IndexEntry.keyHead0). */
export const keyHeadBytes = 16;
const wordBytes = 4;

/** Bytes [offset, offset + 4) of `key` as a little-endian int32, zero past its end. */
export function keyWord(key: Uint8Array, offset: number): number {
  if (offset + wordBytes <= key.length) return key[offset]! | (key[offset + 1]! << 8) | (key[offset + 2]! << 16) | (key[offset + 3]! << 24);
  let word = 0;
  for (let position = key.length - 1; position >= offset; position--) word = (word << 8) | key[position]!;
  return word;
}

/** keyWord() of the key whose latin1 string is `keyString`. */
export function keyStringWord(keyString: string, offset: number): number {
  let word = 0;
  for (let position = Math.min(keyString.length, offset + wordBytes) - 1; position >= offset; position--) {
    word = (word << 8) | keyString.charCodeAt(position);
  }
  return word;
}

/** Whether `key` from byte `from` on holds the same bytes as `keyString` (same length already checked). */
export function keyEqualsFrom(keyString: string, key: Uint8Array, from: number): boolean {
  for (let position = from; position < key.length; position++) if (keyString.charCodeAt(position) !== key[position]) return false;
  return true;
}

export function stringToKey(keyString: string): Uint8Array {
  const key = new Uint8Array(keyString.length);
  for (let position = 0; position < keyString.length; position++) key[position] = keyString.charCodeAt(position);
  return key;
}
