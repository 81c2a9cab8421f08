/**
 * The constant bytes of a hand-laid frame layout (the get fast paths: get_request_layout.ts,
 * get_reply_layout.ts), and the check that a received frame holds them. Spans are compared
 * four bytes at a time where they are aligned to the template: about twice as fast as byte by
 * byte, and this runs for every get on both sides of the wire.
 */
import { readUint32 } from "./little_endian";

const wordBytes = 4;

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
