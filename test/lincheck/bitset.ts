/**
 * A fixed-size set of operation indexes, turned into a compact string for the memo cache.
 * Words are 16 bits so that each maps to one UTF-16 code unit of the key: the key of a set of
 * n operations is n/16 characters, and Map/Set hashing of strings is native.
 */
import { assert } from "../../src/util/assert.ts";

/** Bits per word: one UTF-16 code unit holds exactly 16 bits. */
const wordSizeBits = 16;

export class Bitset {
  private readonly words: Uint16Array;

  constructor(readonly size: number) {
    this.words = new Uint16Array(Math.ceil(size / wordSizeBits));
  }

  set(index: number): void {
    assert(index >= 0 && index < this.size, `bit ${index} outside a set of ${this.size}`);
    this.words[Math.floor(index / wordSizeBits)] |= 1 << index % wordSizeBits;
  }

  clear(index: number): void {
    assert(index >= 0 && index < this.size, `bit ${index} outside a set of ${this.size}`);
    this.words[Math.floor(index / wordSizeBits)] &= ~(1 << index % wordSizeBits);
  }

  has(index: number): boolean {
    return (this.words[Math.floor(index / wordSizeBits)] & (1 << index % wordSizeBits)) !== 0;
  }

  /** The set's words, to keep after the set changes. */
  copyWords(): Uint16Array {
    return this.words.slice();
  }

  /** Whether every bit set in `words` (from copyWords of a set of the same size) is set here. */
  containsWords(words: Uint16Array): boolean {
    assert(words.length === this.words.length, "comparing sets of different sizes");
    for (let index = 0; index < words.length; index += 1) {
      if ((words[index] & ~this.words[index]) !== 0) return false;
    }
    return true;
  }

  toKey(): string {
    return String.fromCharCode(...this.words);
  }
}
