/**
 * Engine records: the payloads the engine appends to its log. The log frames each payload
 * and guards it with a CRC32C, so this format carries no checksum of its own. Little endian.
 *
 * Record header (24 bytes):
 *   0  u8   kind            RecordKind below
 *   1  u8   formatVersion   recordFormatVersion
 *   2  u16  reserved        0
 *   4  u32  operationCount
 *   8  f64  revision        store revision once this record is applied
 *   16 f64  raftIndex       last Raft index applied once this record is applied (0: none)
 * Operations follow, each:
 *   0  u8   operation       1 = set, 2 = delete
 *   1  u32  keyLength
 *   5  u32  valueLength     0 for delete
 *   9  f64  version         revision of the key's write (kept as is by relocation)
 *   17 key bytes, then value bytes
 *
 * Kinds: `apply` sets/deletes keys in the live state (client writes and compaction's
 * relocations alike, so a value's bytes are stored as given and read in place). An installed
 * snapshot is `installBegin`, then `installEntries` (staged, not yet live), then `installEnd`,
 * which replaces the live state with the staged one; a begin without its end is ignored.
 */
import { assert } from "../util/assert.ts";

const recordFormatVersion = 1;
export const recordHeaderBytes = 24;
export const operationHeaderBytes = 17;

export const RecordKind = { apply: 1, installBegin: 2, installEntries: 3, installEnd: 4 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const OperationKind = { set: 1, delete: 2 } as const;
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

export interface RecordOperation {
  operation: OperationKind;
  key: Uint8Array;
  /** Empty for delete. */
  value: Uint8Array;
  version: number;
}

interface RecordHeader {
  kind: RecordKind;
  revision: number;
  raftIndex: number;
}

export function operationBytes(key: Uint8Array, value: Uint8Array): number {
  return operationHeaderBytes + key.length + value.length;
}

/** Encodes a record; returns the payload and, per operation, the offset of its value bytes. */
export function encodeRecord(
  header: RecordHeader,
  operations: readonly RecordOperation[],
): { payload: Uint8Array; valueOffsets: number[] } {
  let size = recordHeaderBytes;
  for (const operation of operations) size += operationBytes(operation.key, operation.value);
  const scratch = scratchFor(size);
  const payload = scratch.bytes;
  const view = scratch.view;
  view.setUint8(0, header.kind);
  view.setUint8(1, recordFormatVersion);
  view.setUint16(2, 0, true);
  view.setUint32(4, operations.length, true);
  view.setFloat64(8, header.revision, true);
  view.setFloat64(16, header.raftIndex, true);
  const valueOffsets: number[] = [];
  let offset = recordHeaderBytes;
  for (const operation of operations) {
    view.setUint8(offset, operation.operation);
    view.setUint32(offset + 1, operation.key.length, true);
    view.setUint32(offset + 5, operation.value.length, true);
    view.setFloat64(offset + 9, operation.version, true);
    payload.set(operation.key, offset + operationHeaderBytes);
    const valueOffset = offset + operationHeaderBytes + operation.key.length;
    payload.set(operation.value, valueOffset);
    valueOffsets.push(valueOffset);
    offset = valueOffset + operation.value.length;
  }
  // One copy out of the reused scratch buffer: cheaper than a fresh buffer and DataView per record.
  return { payload: payload.slice(0, size), valueOffsets };
}

/** Records up to this size are encoded in a reused scratch buffer; larger ones get their own. */
const scratchBytesMax = 64 * 1024;
const scratchBytes = new Uint8Array(scratchBytesMax);
const scratchView = new DataView(scratchBytes.buffer);

function scratchFor(size: number): { bytes: Uint8Array; view: DataView } {
  if (size <= scratchBytesMax) return { bytes: scratchBytes, view: scratchView };
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

export function decodeRecordHeader(payload: Uint8Array): RecordHeader & { operationCount: number } {
  // The log verified the CRC, so a malformed record here means the engine wrote it wrong.
  assert(payload.length >= recordHeaderBytes, "engine record shorter than its header");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  assert(view.getUint8(1) === recordFormatVersion, "unknown engine record format version");
  const kind = view.getUint8(0) as RecordKind;
  assert(kind >= RecordKind.apply && kind <= RecordKind.installEnd, "unknown engine record kind");
  return {
    kind,
    operationCount: view.getUint32(4, true),
    revision: view.getFloat64(8, true),
    raftIndex: view.getFloat64(16, true),
  };
}

/** What forEachOperation hands over per operation: positions in the payload, no views. */
type OperationVisitor = (
  operation: OperationKind,
  keyOffset: number,
  keyLength: number,
  valueOffset: number,
  valueLength: number,
  version: number,
) => void;

/** Visits a record's operations without allocating per operation (replay of large logs). */
export function forEachOperation(payload: Uint8Array, operationCount: number, visit: OperationVisitor): void {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let offset = recordHeaderBytes;
  for (let count = 0; count < operationCount; count++) {
    assert(offset + operationHeaderBytes <= payload.length, "engine record operation header past its end");
    const operation = view.getUint8(offset) as OperationKind;
    assert(operation === OperationKind.set || operation === OperationKind.delete, "unknown record operation");
    const keyLength = view.getUint32(offset + 1, true);
    const valueLength = view.getUint32(offset + 5, true);
    const keyOffset = offset + operationHeaderBytes;
    const valueOffset = keyOffset + keyLength;
    assert(valueOffset + valueLength <= payload.length, "engine record operation past its end");
    visit(operation, keyOffset, keyLength, valueOffset, valueLength, view.getFloat64(offset + 9, true));
    offset = valueOffset + valueLength;
  }
  assert(offset === payload.length, "engine record has trailing bytes");
}
