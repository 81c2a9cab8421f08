/**
 * Length-prefixed frames (u32 little-endian length, then that many bytes), as FileStore's
 * wire uses, for the raw loopback peer. Reassembles frames from partial reads and queues
 * writes that the socket did not take at once.
 */
import { assert } from "../../src/util/assert.ts";
import { BenchError } from "./errors.ts";

export const frameLengthPrefixBytes = 4;
/** Bound on one frame; the bench frames are a few hundred bytes, so anything bigger is a bug. */
export const benchFrameSizeBytesMax = 1024 * 1024;

/** A frame of `payloadBytes` filled with a recognisable pattern. */
export function buildFrame(payloadBytes: number): Uint8Array {
  assert(payloadBytes >= 0 && payloadBytes <= benchFrameSizeBytesMax, "frame payload out of range");
  const frame = new Uint8Array(frameLengthPrefixBytes + payloadBytes);
  new DataView(frame.buffer).setUint32(0, payloadBytes, true);
  for (let index = 0; index < payloadBytes; index += 1) frame[frameLengthPrefixBytes + index] = index & 0xff;
  return frame;
}

/** `chunk` after the unparsed tail of the previous read; `chunk` itself when there is none. */
export function joinPending(pending: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (pending.length === 0) return chunk;
  const joined = new Uint8Array(pending.length + chunk.length);
  joined.set(pending, 0);
  joined.set(chunk, pending.length);
  return joined;
}

export class FrameReassembler {
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly onFrame: (payload: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    const buffer = joinPending(this.pending, chunk);
    let offset = 0;
    while (buffer.length - offset >= frameLengthPrefixBytes) {
      const view = new DataView(buffer.buffer, buffer.byteOffset + offset, frameLengthPrefixBytes);
      const payloadBytes = view.getUint32(0, true);
      if (payloadBytes > benchFrameSizeBytesMax) throw new BenchError(`frame of ${payloadBytes} bytes is over the limit`);
      const frameEnd = offset + frameLengthPrefixBytes + payloadBytes;
      if (frameEnd > buffer.length) break;
      this.onFrame(buffer.subarray(offset + frameLengthPrefixBytes, frameEnd));
      offset = frameEnd;
    }
    // Copy the leftover: `chunk` may be a buffer the socket reuses after this callback.
    this.pending = buffer.slice(offset);
  }
}

/** The subset of a Bun socket the write queue needs. */
export interface WritableSocket {
  write(data: Uint8Array): number;
}

/**
 * Writes in order, coalescing the writes of one turn of the event loop into one socket write
 * (one system call instead of one per request, as a pipelining client should), and keeping
 * what the socket did not accept until its drain callback.
 */
export class WriteQueue {
  /** Writes of this turn, not yet handed to the socket. */
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  /** Bytes the socket refused, waiting for drain. */
  private backlog: Uint8Array[] = [];
  private flushScheduled = false;

  constructor(private readonly socket: WritableSocket) {}

  write(data: Uint8Array): void {
    this.batch.push(data);
    this.batchBytes += data.length;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flushBatch());
  }

  /** Call from the socket's drain handler. */
  flush(): void {
    while (this.backlog.length > 0) {
      const head = this.backlog[0];
      const written = this.socket.write(head);
      if (written < head.length) {
        this.backlog[0] = head.subarray(Math.max(0, written));
        return;
      }
      this.backlog.shift();
    }
  }

  private flushBatch(): void {
    this.flushScheduled = false;
    const data = this.batch.length === 1 ? this.batch[0] : concatenate(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    if (this.backlog.length > 0) {
      this.backlog.push(data);
      return;
    }
    const written = this.socket.write(data);
    if (written < data.length) this.backlog.push(data.subarray(Math.max(0, written)));
  }
}

function concatenate(chunks: Uint8Array[], totalBytes: number): Uint8Array {
  const joined = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
