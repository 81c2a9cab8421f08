/**
 * An in-memory AppendLog for engine tests: fast, so property tests can run many cases, and
 * able to simulate a restart (reopen() hands out a new handle on the same records). Records
 * are grouped into "segments" of `recordsPerSegment` so compactPrefix drops whole groups the
 * way the real log drops whole files.
 */
import { IndexOutOfRangeError, type AppendLog } from "../../src/log/types.ts";
import { assert } from "../../src/util/assert.ts";

const recordFramingBytes = 16;

interface MemoryLogStore {
  firstIndex: number;
  records: Uint8Array[];
}

export class MemoryLog implements AppendLog {
  private closed = false;

  constructor(
    private readonly store: MemoryLogStore = { firstIndex: 1, records: [] },
    private readonly recordsPerSegment = 8,
  ) {}

  /** A new handle on the same records, as after a restart that kept everything. */
  reopen(): MemoryLog {
    assert(this.closed, "reopen a memory log only after closing it");
    return new MemoryLog(this.store, this.recordsPerSegment);
  }

  firstIndex(): number {
    return this.store.firstIndex;
  }

  lastIndex(): number {
    return this.store.firstIndex + this.store.records.length - 1;
  }

  append(payloads: Uint8Array[]): Promise<number> {
    this.checkOpen();
    for (const payload of payloads) this.store.records.push(payload.slice());
    return Promise.resolve(this.lastIndex());
  }

  read(index: number): Uint8Array {
    this.checkOpen();
    if (index < this.firstIndex() || index > this.lastIndex()) throw new IndexOutOfRangeError(`index ${index} out of range`);
    return this.store.records[index - this.store.firstIndex];
  }

  *readRange(from: number, toInclusive: number): Iterable<{ index: number; payload: Uint8Array }> {
    for (let index = from; index <= toInclusive; index++) yield { index, payload: this.read(index) };
  }

  async truncateSuffix(lastKept: number): Promise<void> {
    this.store.records.length = Math.max(0, lastKept - this.store.firstIndex + 1);
  }

  async compactPrefix(firstNeeded: number): Promise<void> {
    this.checkOpen();
    const segmentStart = (index: number) => index - ((index - 1) % this.recordsPerSegment);
    const newFirst = Math.min(segmentStart(firstNeeded), this.lastIndex() + 1);
    if (newFirst <= this.store.firstIndex) return;
    this.store.records.splice(0, newFirst - this.store.firstIndex);
    this.store.firstIndex = newFirst;
  }

  async resetTo(nextIndex: number): Promise<void> {
    this.store.records = [];
    this.store.firstIndex = nextIndex;
  }

  async sync(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  sizeBytes(): number {
    let total = 0;
    for (const record of this.store.records) total += record.length + recordFramingBytes;
    return total;
  }

  private checkOpen(): void {
    assert(!this.closed, "memory log used after close");
  }
}
