/**
 * Rebuilds engine state from log records, in log order: at open (after a checkpoint, or from
 * the log's first record) and never otherwise. Replaying any contiguous suffix of the log
 * that starts at or before the oldest record a live key needs gives the same state, because
 * compaction relocates every live value past its boundary before dropping a prefix.
 */
import { assert } from "../util/assert.ts";
import { KeyIndex, newIndexEntry } from "./key_index.ts";
import { keyHash, keyToStringAt } from "./key_string.ts";
import { decodeRecordHeader, forEachOperation, OperationKind, RecordKind } from "./record_codec.ts";

export class ReplayState {
  /** Staged entries of a snapshot whose install has begun but not ended. */
  private staging: KeyIndex | null = null;

  constructor(
    public index: KeyIndex,
    public revision: number,
    public raftIndex: number,
  ) {}

  applyRecord(logIndex: number, payload: Uint8Array): void {
    const header = decodeRecordHeader(payload);
    switch (header.kind) {
      case RecordKind.apply:
        indexOperations(this.index, payload, header.operationCount, logIndex);
        break;
      case RecordKind.installBegin:
        this.staging = new KeyIndex();
        return;
      case RecordKind.installEntries:
        // Entries of an install whose begin was compacted away cannot occur: an install drops
        // the log's prefix only after its end record is durable.
        if (this.staging === null) return;
        indexOperations(this.staging, payload, header.operationCount, logIndex);
        return;
      case RecordKind.installEnd:
        if (this.staging === null) return;
        this.index = this.staging;
        this.staging = null;
        break;
    }
    this.revision = header.revision;
    this.raftIndex = header.raftIndex;
  }
}

/** Applies the operations of `payload`, the record at `logIndex`, to an index. */
export function indexOperations(index: KeyIndex, payload: Uint8Array, operationCount: number, logIndex: number): void {
  forEachOperation(payload, operationCount, (operation, keyOffset, keyLength, valueOffset, valueLength, version) => {
    const keyString = keyToStringAt(payload, keyOffset, keyOffset + keyLength);
    if (operation === OperationKind.delete) {
      index.delete(keyString);
      return;
    }
    assert(version > 0, "a stored key has a positive version");
    const hash = keyHash(payload.subarray(keyOffset, keyOffset + keyLength));
    index.set(newIndexEntry({ keyString, keyHash: hash, version, logIndex, valueOffset, valueLength }));
  });
}
