/**
 * The constant bytes of a hand-laid frame layout (the get fast paths: get_request_layout.ts,
 * get_reply_layout.ts), and the check that a received frame holds them. Spans are compared
 * four bytes at a time where they are aligned to the template: about twice as fast as byte by
 * byte, and this runs for every get on both sides of the wire.
 */
import { readUint32 } from "../wire/little_endian";

const wordBytes = 4;

/**
 * Writes the constant bytes of a layout: u32 offsets, i32 table headers, single bytes and
 * vtables (runs of u16), little-endian, into a zeroed array of `length` bytes.
 */
export class LayoutBytes {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(position: number, value: number): this {
    this.bytes[position] = value;
    return this;
  }

  u32(position: number, value: number): this {
    this.view.setUint32(position, value, true);
    return this;
  }

  i32(position: number, value: number): this {
    this.view.setInt32(position, value, true);
    return this;
  }

  /** A vtable (its size, its table's size, then one offset per field) from `position` on. */
  u16s(position: number, values: readonly number[]): this {
    values.forEach((value, index) => this.view.setUint16(position + index * 2, value, true));
    return this;
  }
}

export class LayoutTemplate {
  /** The template's little-endian 32-bit words (the last one zero-padded). */
  private readonly words: Int32Array;

  constructor(readonly bytes: Uint8Array) {
    const padded = new Uint8Array(Math.ceil(bytes.length / wordBytes) * wordBytes);
    padded.set(bytes);
    this.words = new Int32Array(padded.length / wordBytes);
    for (let word = 0; word < this.words.length; word++) this.words[word] = readUint32(padded, word * wordBytes) | 0;
  }

  /**
   * Whether frame[start + from, start + to) equals the template's bytes [from, to). The caller
   * has checked that the frame reaches start + to: bytes past the end of `frame` read as 0 here.
   */
  matches(frame: Uint8Array, start: number, from: number, to: number): boolean {
    const bytes = this.bytes;
    let position = from;
    for (; (position & (wordBytes - 1)) !== 0 && position < to; position++) {
      if (frame[start + position] !== bytes[position]) return false;
    }
    for (; position + wordBytes <= to; position += wordBytes) {
      const at = start + position;
      const word = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16) | (frame[at + 3]! << 24);
      if (word !== this.words[position >> 2]) return false;
    }
    for (; position < to; position++) if (frame[start + position] !== bytes[position]) return false;
    return true;
  }
}
