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

/** keyHash() of the key held in bytes[start, end). */
export function keyHashAt(bytes: Uint8Array, start: number, end: number): number {
  return xxHash32(bytes, start, end);
}

/** Bytes of a key held as words in an index entry (see IndexEntry.keyHead0). */
export const keyHeadBytes = 16;
const wordBytes = 4;

/** Bytes [offset, offset + 4) of the key held in bytes[start, end) as a little-endian int32, zero past its end. */
export function keyWordAt(bytes: Uint8Array, start: number, end: number, offset: number): number {
  const at = start + offset;
  if (at + wordBytes <= end) return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
  let word = 0;
  for (let position = end - 1; position >= at; position--) word = (word << 8) | bytes[position]!;
  return word;
}

/** keyWordAt() of the key whose latin1 string is `keyString`. */
export function keyStringWord(keyString: string, offset: number): number {
  let word = 0;
  for (let position = Math.min(keyString.length, offset + wordBytes) - 1; position >= offset; position--) {
    word = (word << 8) | keyString.charCodeAt(position);
  }
  return word;
}

/** Whether the key held in bytes[start, end), from its byte `from` on, holds the same bytes as `keyString` (same length already checked). */
export function keyEqualsFromAt(keyString: string, bytes: Uint8Array, start: number, end: number, from: number): boolean {
  for (let position = from; start + position < end; position++) if (keyString.charCodeAt(position) !== bytes[start + position]) return false;
  return true;
}

export function stringToKey(keyString: string): Uint8Array {
  const key = new Uint8Array(keyString.length);
  for (let position = 0; position < keyString.length; position++) key[position] = keyString.charCodeAt(position);
  return key;
}
