/**
 * Offsets of a segment's records, by position (record index - segment first index). A u32
 * array that doubles when full: offsets stay below segmentSizeBytesMax < 2^32, and a typed
 * array keeps millions of entries out of the garbage collector's way.
 */
import { assert } from "../util/assert.ts";

const offsetTableCapacityInitial = 256;

export class OffsetTable {
  private offsets = new Uint32Array(offsetTableCapacityInitial);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(offset: number): void {
    assert(offset >= 0 && offset < 2 ** 32, "record offset out of u32 range");
    assert(this.count === 0 || offset > this.offsets[this.count - 1], "record offsets must increase");
    if (this.count === this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count] = offset;
    this.count += 1;
  }

  at(position: number): number {
    assert(position >= 0 && position < this.count, "offset table position out of range");
    return this.offsets[position];
  }

  /** Keeps the first `count` offsets. */
  truncate(count: number): void {
    assert(count >= 0 && count <= this.count, "offset table truncated beyond its length");
    this.count = count;
  }
}
