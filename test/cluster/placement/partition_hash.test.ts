/**
 * The partition hash (src/cluster/placement/partition_hash.ts): XXH64 with seed 0 in pure
 * TypeScript. Published vectors pin the algorithm; Bun's own xxHash64 is the second
 * implementation random inputs are compared with (this file may use Bun; the module may not).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  compareHashes, formatHash, hashPartitionKey, hashToBigInt, partitionHashOf, type PartitionHash,
} from "../../../src/cluster/placement/partition_hash.ts";

const encoder = new TextEncoder();

function reference(bytes: Uint8Array): bigint {
  return BigInt.asUintN(64, BigInt(Bun.hash.xxHash64(bytes, 0n)));
}

function hex(text: string): string {
  return formatHash(partitionHashOf(encoder.encode(text)));
}

describe("partition hash: vectors", () => {
  test("published XXH64 vectors, seed 0 (xxHash and python-xxhash documentation)", () => {
    expect(hex("")).toBe("ef46db3751d8e999");
    expect(hex("a")).toBe("d24ec4f1a98c6e5b");
    expect(hex("abc")).toBe("44bc2cf5ad770999");
    // 39 bytes: one 32-byte stripe, then a 4-byte lane and 3 single bytes.
    expect(hex("Nobody inspects the spammish repetition")).toBe("fbcea83c8a378bf1");
    // 43 bytes: one stripe, an 8-byte lane and 3 single bytes.
    expect(hex("The quick brown fox jumps over the lazy dog")).toBe("0b242d361fda71bc");
  });

  test("our own vectors: a partition key, exactly one and two stripes, three stripes and a tail", () => {
    expect(hex("orders/u123")).toBe("09af411bd685f46d");
    expect(hex("x".repeat(32))).toBe("e2df261fc2ec30eb");
    expect(hex("x".repeat(64))).toBe("a97161d5402f516e");
    expect(hex("x".repeat(100))).toBe("92f0de5a88a3c094");
  });

  test("every input length from 0 to 160 bytes (all stripe and tail paths) matches Bun's xxHash64", () => {
    const bytes = Uint8Array.from({ length: 160 }, (_, index) => (index * 151 + 7) & 0xff);
    for (let length = 0; length <= bytes.length; length++) {
      const part = bytes.subarray(0, length);
      expect({ length, hash: hashToBigInt(partitionHashOf(part)) }).toEqual({ length, hash: reference(part) });
    }
  });

  test("prints 16 lower-case hex digits, most significant first, zero-padded", () => {
    expect(formatHash({ high: 0, low: 0 })).toBe("0000000000000000");
    expect(formatHash({ high: 0x1, low: 0xab })).toBe("00000001000000ab");
    expect(formatHash({ high: 0xffffffff, low: 0xffffffff })).toBe("ffffffffffffffff");
  });
});

describe("partition hash: properties", () => {
  test("equals Bun.hash.xxHash64(bytes, 0n) on random inputs", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(hashToBigInt(partitionHashOf(bytes))).toBe(reference(bytes));
    }), { numRuns: 2000 });
  });

  test("hashes bytes [start, end) of a larger array as it hashes a copy of them, into the caller's object", () => {
    const slice = fc.uint8Array({ minLength: 0, maxLength: 100 }).chain((bytes) =>
      fc.tuple(fc.constant(bytes), fc.nat(bytes.length), fc.nat(bytes.length)));
    fc.assert(fc.property(slice, ([bytes, a, b]) => {
      const [start, end] = a <= b ? [a, b] : [b, a];
      const into: PartitionHash = { high: 1, low: 2 };
      const result = hashPartitionKey(bytes, start, end, into);
      expect(result).toBe(into);
      expect(hashToBigInt(into)).toBe(reference(bytes.slice(start, end)));
    }));
  });

  test("halves are u32 and compare as the unsigned 64-bit values do", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (x, y) => {
      const a = partitionHashOf(x);
      const b = partitionHashOf(y);
      for (const half of [a.high, a.low, b.high, b.low]) expect(half >>> 0).toBe(half);
      const [bigA, bigB] = [hashToBigInt(a), hashToBigInt(b)];
      expect(Math.sign(compareHashes(a, b))).toBe(bigA < bigB ? -1 : bigA > bigB ? 1 : 0);
      expect(BigInt(`0x${formatHash(a)}`)).toBe(bigA);
    }));
  });

  test("a slice outside the array is a broken invariant, not a hash", () => {
    expect(() => hashPartitionKey(new Uint8Array(4), 2, 5, { high: 0, low: 0 })).toThrow("hash of bytes [2, 5) of 4");
    expect(() => hashPartitionKey(new Uint8Array(4), 3, 2, { high: 0, low: 0 })).toThrow("hash of bytes");
  });
});
