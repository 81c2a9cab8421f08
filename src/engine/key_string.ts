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

/** Whether `key` holds the bytes of `keyString`, without building either form from the other. */
export function keyEquals(keyString: string, key: Uint8Array): boolean {
  if (keyString.length !== key.length) return false;
  for (let position = 0; position < key.length; position++) if (keyString.charCodeAt(position) !== key[position]) return false;
  return true;
}

/**
 * The 32-bit hash of a key's bytes that the hash index is keyed by: xxHash32, as a signed int32
 * (Map lookups measured about 20% faster with int32 keys than with uint32 ones above 2^31),
 * computed in JavaScript (see xxhash32.ts for why).
 */
export function keyHash(key: Uint8Array): number {
  return xxHash32(key);
}

export function stringToKey(keyString: string): Uint8Array {
  const key = new Uint8Array(keyString.length);
  for (let position = 0; position < keyString.length; position++) key[position] = keyString.charCodeAt(position);
  return key;
}
