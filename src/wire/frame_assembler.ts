/**
 * Splits a byte stream into frames (u32 little-endian length + that many bytes). Frames that
 * arrive whole in one read are handed on as views into that read, without a copy; only a frame
 * split across reads is gathered in a reusable buffer, which grows to the frame's size and
 * shrinks back once a large frame has passed.
 */
import { readUint32 } from "./little_endian";
import { RequestRejection } from "./status";

const lengthPrefixBytes = 4;
/** Smallest Envelope: root offset, vtable header and table header, four bytes each. */
const frameSizeBytesMin = 12;
/** A buffer grown past this many times its initial size is dropped after its frame. */
const bufferShrinkFactor = 4;

/** Returns false to stop handing on frames from the current read (the connection is closing). */
type FrameHandler = (frame: Uint8Array) => boolean;
/** The same, given the frame as bytes[start, end) instead of a view of its own. */
export type FrameRangeHandler = (bytes: Uint8Array, start: number, end: number) => boolean;

export class FrameAssembler {
  private buffer: Uint8Array;
  private heldBytes = 0;
  /** performance.now() when the frame now held began arriving; null when none is held. */
  partialSinceMs: number | null = null;

  constructor(private readonly frameSizeBytesMax: number, private readonly bufferBytesInitial: number) {
    this.buffer = new Uint8Array(bufferBytesInitial);
  }

  /** Hands on every complete frame in `chunk`; throws a fatal RequestRejection on a bad length. */
  feed(chunk: Uint8Array, onFrame: FrameHandler): void {
    this.feedRanges(chunk, (bytes, start, end) => onFrame(bytes.subarray(start, end)));
  }

  /**
   * feed() without a view per frame: each frame is handed on as a range of `chunk` (or of the
   * buffer holding a frame that was split across reads), valid during the call only. For a
   * reader that takes what it needs by position (a view per frame costs an object each).
   */
  feedRanges(chunk: Uint8Array, onFrame: FrameRangeHandler): void {
    let offset = 0;
    if (this.heldBytes > 0) {
      offset = this.completeHeldFrame(chunk, onFrame);
      if (offset < 0) return;
    }
    while (chunk.length - offset >= lengthPrefixBytes) {
      const frameBytes = this.frameLength(chunk, offset);
      if (chunk.length - offset - lengthPrefixBytes < frameBytes) break;
      const start = offset + lengthPrefixBytes;
      offset = start + frameBytes;
      if (!onFrame(chunk, start, offset)) return;
    }
    if (offset < chunk.length) this.hold(chunk.subarray(offset));
  }

  private frameLength(bytes: Uint8Array, offset: number): number {
    const length = readUint32(bytes, offset);
    if (length > this.frameSizeBytesMax) {
      throw new RequestRejection("TOO_LARGE", `frame of ${length} bytes is over the ${this.frameSizeBytesMax}-byte limit`, 0, true);
    }
    if (length < frameSizeBytesMin) {
      throw new RequestRejection("INVALID_REQUEST", `frame of ${length} bytes cannot hold an envelope`, 0, true);
    }
    return length;
  }

  private hold(bytes: Uint8Array): void {
    if (this.heldBytes === 0) this.partialSinceMs = performance.now();
    this.ensureCapacity(this.heldBytes + bytes.length);
    this.buffer.set(bytes, this.heldBytes);
    this.heldBytes += bytes.length;
  }

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.min(Math.max(bytes, this.buffer.length * 2), this.frameSizeBytesMax + lengthPrefixBytes));
    grown.set(this.buffer.subarray(0, this.heldBytes));
    this.buffer = grown;
  }

  /** Adds from `chunk` to the held frame; returns where the rest of `chunk` starts, or -1 to stop. */
  private completeHeldFrame(chunk: Uint8Array, onFrame: FrameRangeHandler): number {
    let offset = 0;
    if (this.heldBytes < lengthPrefixBytes) {
      offset = Math.min(lengthPrefixBytes - this.heldBytes, chunk.length);
      this.hold(chunk.subarray(0, offset));
      if (this.heldBytes < lengthPrefixBytes) return chunk.length;
    }
    const totalBytes = lengthPrefixBytes + this.frameLength(this.buffer, 0);
    const taken = Math.min(totalBytes - this.heldBytes, chunk.length - offset);
    this.hold(chunk.subarray(offset, offset + taken));
    offset += taken;
    if (this.heldBytes < totalBytes) return chunk.length;
    const frameBuffer = this.buffer;
    this.heldBytes = 0;
    this.partialSinceMs = null;
    const keepGoing = onFrame(frameBuffer, lengthPrefixBytes, totalBytes);
    if (this.buffer.length > this.bufferBytesInitial * bufferShrinkFactor) {
      this.buffer = new Uint8Array(this.bufferBytesInitial);
    }
    return keepGoing ? offset : -1;
  }
}
