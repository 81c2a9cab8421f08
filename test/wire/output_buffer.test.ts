/**
 * The output buffer keeps every byte in order across growth (by append and by claim) and
 * across partial socket writes, which take only part of what is offered.
 */
import { describe, expect, test } from "bun:test";
import { OutputBuffer } from "../../src/wire/output_buffer";

/** A socket that takes at most `takeMax` bytes per write and records them. */
function partialSocket(takeMax: number) {
  const received: number[] = [];
  return {
    received,
    write(data: Uint8Array): number {
      const taken = Math.min(takeMax, data.length);
      for (let index = 0; index < taken; index++) received.push(data[index]!);
      return taken;
    },
  };
}

describe("output buffer", () => {
  test("frames appended and claimed past the initial size come out whole and in order through partial writes", () => {
    const output = new OutputBuffer();
    const expected: number[] = [];
    for (let frame = 0; frame < 40; frame++) {
      const bytes = new Uint8Array(5000 + frame * 97).map((_, index) => (frame * 13 + index) & 0xff);
      if (frame % 2 === 0) output.append(bytes);
      else {
        const start = output.claim(bytes.length);
        output.bytes.set(bytes, start);
      }
      expected.push(...bytes);
    }
    const socket = partialSocket(30_000);
    let flushes = 0;
    while (output.length > 0 && flushes < 1000) {
      output.flush(socket);
      flushes++;
    }
    expect(output.length).toBe(0);
    expect(socket.received.length).toBe(expected.length);
    expect(Buffer.from(socket.received).equals(Buffer.from(expected))).toBe(true);
  });
});
