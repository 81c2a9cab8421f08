/**
 * The one binary form of a Raft entry, used both as the payload of a log record and as an
 * entry of an append message on the wire, so a follower appends the bytes it received
 * without re-encoding them.
 *
 * Layout (little endian), entryHeaderBytes = 9:
 *   offset 0  f64  term  (an integer in 1..2^53-1)
 *   offset 8  u8   kind  (0 normal, 1 config)
 *   offset 9  ...  data  (the rest)
 * The index is not stored: a log record's index and an append message's prevIndex give it.
 * Integrity comes from the carrier: the log record's CRC32C on disk, TCP on the wire.
 *
 * encodeEntry remembers the bytes of every entry it encoded or decodeEntry produced (a weak
 * map keyed by the entry object), so an entry is encoded at most once however many times it
 * is stored or sent.
 */
import type { Entry, EntryKind } from "../raft/types.ts";

const entryHeaderBytes = 9;
const termOffset = 0;
const kindOffset = 8;
const kindCodes: Record<EntryKind, number> = { normal: 0, config: 1 };
const kindsByCode: EntryKind[] = ["normal", "config"];

/** Bytes that are not a valid encoded entry (from a peer or a damaged store). */
export class EntryFormatError extends Error {
  override name = "EntryFormatError";
}

const encodedEntries = new WeakMap<Entry, Uint8Array>();

export function encodeEntry(entry: Entry): Uint8Array {
  const known = encodedEntries.get(entry);
  if (known !== undefined) return known;
  const bytes = new Uint8Array(entryHeaderBytes + entry.data.length);
  const view = new DataView(bytes.buffer);
  view.setFloat64(termOffset, entry.term, true);
  view.setUint8(kindOffset, kindCodes[entry.kind]);
  bytes.set(entry.data, entryHeaderBytes);
  encodedEntries.set(entry, bytes);
  return bytes;
}

/** The entry held by `bytes` at `index`; its data is a view over `bytes` (no copy). */
export function decodeEntry(index: number, bytes: Uint8Array): Entry {
  if (bytes.length < entryHeaderBytes) throw new EntryFormatError(`entry ${index}: ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const term = view.getFloat64(termOffset, true);
  if (!Number.isSafeInteger(term) || term < 1) throw new EntryFormatError(`entry ${index}: term ${term} is not a positive integer`);
  const kind = kindsByCode[view.getUint8(kindOffset)];
  if (kind === undefined) throw new EntryFormatError(`entry ${index}: unknown kind ${view.getUint8(kindOffset)}`);
  const entry: Entry = { index, term, kind, data: bytes.subarray(entryHeaderBytes) };
  encodedEntries.set(entry, bytes);
  return entry;
}

/** The term of an encoded entry without building the entry (recovery reads only terms). */
export function decodeEntryTerm(index: number, bytes: Uint8Array): number {
  return decodeEntry(index, bytes).term;
}
