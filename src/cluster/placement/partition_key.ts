/**
 * The partition rule: which part of a key is hashed to place it (docs/glossary.md, "partition
 * key"). Every key of one partition hashes alike, so it lives in one shard: a partition scans in
 * key order from one place and a batch inside one partition stays atomic.
 *
 * Rule: a key's partition key is its bytes up to, not including, its second `/` (byte 0x2F);
 * the whole key when it has fewer than two. Keys are bytes, compared and hashed as bytes: no
 * text decoding, no normalization (a key in another encoding simply has other bytes).
 *
 *   orders/u123/2026-12-07/o9  → orders/u123
 *   orders/u123/               → orders/u123   (trailing `/`: the second `/` ends the partition)
 *   orders/u123                → orders/u123   (one `/`: the whole key)
 *   orders                     → orders        (no `/`: the whole key)
 *   /orders/u123               → /orders       (a leading `/` is the first one)
 *   orders//o9                 → orders/       (an empty second segment: the partition ends at the second `/`)
 *   //o9                       → /             (both segments empty)
 *   (empty key)                → (empty)       (the engine refuses empty keys; the rule still answers)
 *
 * partitionKeyLength is the hot path (the client's routing of every request): it returns a
 * length, the partition key being bytes [0, length) of the key, so nothing is allocated or
 * copied; partitionKeyOf gives the same bytes as a view for callers that want an array.
 */

/** `/` in UTF-8 and ASCII: the separator of a key's segments. */
const separatorByte = 0x2f;

/** Segments of the key in its partition key: collection and owner (`orders/u123`). */
const partitionSegments = 2;

/** The length in bytes of `key`'s partition key, which is bytes [0, length) of `key`. */
export function partitionKeyLength(key: Uint8Array): number {
  let separatorsSeen = 0;
  for (let index = 0; index < key.length; index++) {
    if (key[index] !== separatorByte) continue;
    separatorsSeen++;
    if (separatorsSeen === partitionSegments) return index;
  }
  return key.length;
}

/** `key`'s partition key as a view of the same bytes (not a copy). */
export function partitionKeyOf(key: Uint8Array): Uint8Array {
  return key.subarray(0, partitionKeyLength(key));
}
