/**
 * A fixed-size, immutable set of operation indexes, turned into a compact string for the memo cache.
 * Words are 16 bits so that each maps to one UTF-16 code unit of the key: the key of a set of
 * n operations is n/16 characters, and Map/Set hashing of strings is native.
 */
import { assert } from "../../src/util/assert.ts";

/** Bits per word: one UTF-16 code unit holds exactly 16 bits. */
const wordSizeBits = 16;

export class Bitset {
  /** Computed on first use: a set is shared by many search points and never changes. */
  private key: string | undefined;

  private constructor(
    readonly size: number,
    private readonly words: Uint16Array,
  ) {}

  static empty(size: number): Bitset {
    return new Bitset(size, new Uint16Array(Math.ceil(size / wordSizeBits)));
  }

  /** A copy with `index` added; sets are shared between search points, so never changed in place. */
  with(index: number): Bitset {
    assert(index >= 0 && index < this.size, `bit ${index} outside a set of ${this.size}`);
    const words = this.words.slice();
    words[Math.floor(index / wordSizeBits)] |= 1 << index % wordSizeBits;
    return new Bitset(this.size, words);
  }

  has(index: number): boolean {
    return (this.words[Math.floor(index / wordSizeBits)] & (1 << index % wordSizeBits)) !== 0;
  }

  /** Whether every member of this set is in `other` (equal sets included). */
  isSubsetOf(other: Bitset): boolean {
    assert(other.size === this.size, "comparing sets of different sizes");
    for (let index = 0; index < this.words.length; index += 1) {
      if ((this.words[index] & ~other.words[index]) !== 0) return false;
    }
    return true;
  }

  toKey(): string {
    // apply takes the typed array as it is; a spread would walk it through an iterator.
    this.key ??= String.fromCharCode.apply(null, this.words as unknown as number[]);
    return this.key;
  }
}
