/** The JavaScript xxHash32: the specification's reference values and agreement with Bun's own. */
import { describe, expect, test } from "bun:test";
import { xxHash32 } from "../../src/engine/xxhash32.ts";

/** A small seeded generator, so a failure replays with the same bytes. */
function seededBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let position = 0; position < length; position++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[position] = state >>> 24;
  }
  return bytes;
}

describe("xxHash32 in JavaScript", () => {
  test("matches the reference values of the specification", () => {
    const encoder = new TextEncoder();
    expect(xxHash32(new Uint8Array(0)) >>> 0).toBe(0x02cc5d05);
    expect(xxHash32(encoder.encode("abc")) >>> 0).toBe(0x32d153ff);
  });

  test("equals Bun.hash.xxHash32 on every length up to 300 bytes, on views into a larger buffer and on ranges of it", () => {
    for (let length = 0; length <= 300; length++) {
      for (let seed = 1; seed <= 5; seed++) {
        const bytes = seededBytes(seed * 1000 + length, length);
        expect(xxHash32(bytes)).toBe(Bun.hash.xxHash32(bytes) | 0);
        const framed = new Uint8Array(length + 7);
        framed.set(bytes, 3);
        expect(xxHash32(framed.subarray(3, 3 + length))).toBe(Bun.hash.xxHash32(bytes) | 0);
        expect(xxHash32(framed, 3, 3 + length)).toBe(Bun.hash.xxHash32(bytes) | 0);
      }
    }
  });
});
