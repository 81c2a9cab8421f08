/** Frame reassembly: any split of a stream of frames into reads gives back the same frames. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FrameAssembler } from "../../src/wire/frame_assembler";
import { RequestRejection } from "../../src/wire/status";
import { withLengthPrefix } from "../net/wire_fixtures";

const frameSizeBytesMax = 4096;

function collect(assembler: FrameAssembler, reads: Uint8Array[], byRange = false): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const read of reads) {
    if (byRange) assembler.feedRanges(read, (bytes, start, end) => { frames.push(bytes.slice(start, end)); return true; });
    else assembler.feed(read, (frame) => { frames.push(frame.slice()); return true; });
  }
  return frames;
}

describe("frame assembler", () => {
  test("frames split at arbitrary points come out whole and in order", () => {
    const frameArbitrary = fc.uint8Array({ minLength: 12, maxLength: 600 });
    fc.assert(fc.property(
      fc.array(frameArbitrary, { minLength: 1, maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 16, max: 256 }),
      (frames, cuts, initialBufferBytes) => {
        const stream = Buffer.concat(frames.map(withLengthPrefix));
        const reads: Uint8Array[] = [];
        let offset = 0;
        for (let index = 0; offset < stream.length; index++) {
          const size = cuts[index % cuts.length]!;
          reads.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        const assembler = new FrameAssembler(frameSizeBytesMax, initialBufferBytes);
        expect(collect(assembler, reads)).toEqual(frames);
        expect(assembler.partialSinceMs).toBeNull();
        // The same frames as ranges of the reads (or of the buffer of a frame split across them).
        expect(collect(new FrameAssembler(frameSizeBytesMax, initialBufferBytes), reads, true)).toEqual(frames);
      },
    ), { numRuns: 300, seed: 4 });
  });

  test("a partial frame is reported as pending until it completes", () => {
    const assembler = new FrameAssembler(frameSizeBytesMax, 64);
    const frame = withLengthPrefix(new Uint8Array(100).fill(3));
    expect(collect(assembler, [frame.subarray(0, 2)])).toEqual([]);
    expect(assembler.partialSinceMs).not.toBeNull();
    expect(collect(assembler, [frame.subarray(2)])).toEqual([new Uint8Array(100).fill(3)]);
    expect(assembler.partialSinceMs).toBeNull();
  });

  test("a length over the limit or under the envelope minimum is a fatal rejection, even split", () => {
    const over = withLengthPrefix(new Uint8Array(0));
    new DataView(over.buffer).setUint32(0, frameSizeBytesMax + 1, true);
    const assembler = new FrameAssembler(frameSizeBytesMax, 64);
    collect(assembler, [over.subarray(0, 1)]);
    let caught: unknown;
    try {
      collect(assembler, [over.subarray(1)]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestRejection);
    expect({ status: (caught as RequestRejection).status, fatal: (caught as RequestRejection).fatal }).toEqual({ status: "TOO_LARGE", fatal: true });
    expect(() => collect(new FrameAssembler(frameSizeBytesMax, 64), [withLengthPrefix(new Uint8Array(4))])).toThrow("cannot hold an envelope");
  });

  test("a handler returning false stops the frames of the current read", () => {
    const assembler = new FrameAssembler(frameSizeBytesMax, 64);
    const stream = Buffer.concat([withLengthPrefix(new Uint8Array(12)), withLengthPrefix(new Uint8Array(13))]);
    let seen = 0;
    assembler.feed(stream, () => { seen++; return false; });
    expect(seen).toBe(1);
  });
});
