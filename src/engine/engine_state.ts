/**
 * The mutable core shared by the engine's parts (apply, checkpoint, compaction, snapshots):
 * the log, the key index, the revision and the applied Raft index, and the two primitives
 * every part uses to touch the log.
 */
import type { AppendLog } from "../log/types.ts";
import { assert } from "../util/assert.ts";
import { EngineError } from "./errors.ts";
import type { IndexEntry, KeyIndex } from "./key_index.ts";

export interface EngineState {
  readonly log: AppendLog;
  index: KeyIndex;
  /** Store-wide revision of the last applied write. */
  revision: number;
  /** Last Raft index applied (0: none). */
  raftIndex: number;
  /** Set when the log refused a write: memory is then ahead of the disk, so serve no more. */
  failure: Error | null;
  /** Records read lately; see RecentRecords. */
  recentRecords: RecentRecords;
}

/**
 * Records read lately. The log checks a record's CRC on every read, and one batch record holds
 * many values: walks in key order (compaction, snapshot export, scans) meet values of a few
 * records interleaved, so remembering the last few checks each record once, not once per value.
 */
export class RecentRecords {
  private readonly logIndexes = new Array<number>(recentRecordsCount).fill(0);
  private readonly payloads = new Array<Uint8Array | null>(recentRecordsCount).fill(null);
  private next = 0;

  read(log: AppendLog, logIndex: number): Uint8Array {
    for (let slot = 0; slot < recentRecordsCount; slot++) {
      const payload = this.payloads[slot];
      if (this.logIndexes[slot] === logIndex && payload !== null) return payload;
    }
    const payload = log.read(logIndex);
    this.logIndexes[this.next] = logIndex;
    this.payloads[this.next] = payload;
    this.next = (this.next + 1) % recentRecordsCount;
    return payload;
  }

  /** Forgets everything: records may have left the log. */
  clear(): void {
    this.payloads.fill(null);
  }
}

/** Enough for the interleavings seen in practice (old and new records of a partial overwrite). */
const recentRecordsCount = 8;

/** The value of an entry as a view into the log's data, read once and then cached. */
export function readValue(state: EngineState, entry: IndexEntry): Uint8Array {
  if (entry.value === null) {
    const payload = state.recentRecords.read(state.log, entry.logIndex);
    assert(entry.valueOffset + entry.valueLength <= payload.length, "index entry points past its record");
    entry.value = payload.subarray(entry.valueOffset, entry.valueOffset + entry.valueLength);
  }
  return entry.value;
}

/**
 * Appends one record. Records are visible at once, so the index it gets is known before the
 * append is durable; the promise resolves when it is durable under the log's fsync mode.
 * A refused append poisons the engine: state in memory would otherwise outrun the log.
 */
export function appendRecord(state: EngineState, payload: Uint8Array): { logIndex: number; durable: Promise<void> } {
  const appended = startAppend(state, payload);
  const logIndex = state.log.lastIndex();
  const durable = appended.then(
    (lastIndex) => checkAppendedIndex(lastIndex, logIndex),
    (error: unknown) => {
      throw appendFailure(state, error);
    },
  );
  return { logIndex, durable };
}

/**
 * The first half of appendRecord, for the write path that awaits the log's promise itself
 * (one promise per write instead of two): the record's index is `state.log.lastIndex()` right
 * after the call; a rejection of the promise goes through appendFailure.
 */
export function startAppend(state: EngineState, payload: Uint8Array): Promise<number> {
  if (state.failure !== null) throw new EngineError("UNAVAILABLE", `log failed earlier: ${state.failure.message}`);
  const logIndex = state.log.lastIndex() + 1;
  const appended = state.log.append([payload]);
  if (state.log.lastIndex() !== logIndex) {
    // Refused outright (a closed or failed log): nothing changed in memory, so only this
    // write fails; the reason arrives with the rejection.
    assert(state.log.lastIndex() === logIndex - 1, "log appended another number of records than asked");
    void appended.catch(() => undefined);
    throw new EngineError("UNAVAILABLE", "the log refused the append");
  }
  return appended;
}

export function checkAppendedIndex(lastIndex: number, logIndex: number): void {
  assert(lastIndex === logIndex, "log acknowledged another index than it assigned");
}

/** Records a failed append as the engine's failure; returns the error for the writer. */
export function appendFailure(state: EngineState, error: unknown): EngineError {
  state.failure ??= error instanceof Error ? error : new Error(String(error));
  return new EngineError("UNAVAILABLE", `log append failed: ${state.failure.message}`);
}
