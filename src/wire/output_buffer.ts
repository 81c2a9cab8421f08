/**
 * Replies waiting for a socket. Replies produced in one event-loop turn are gathered and
 * written with one call; what the socket does not take stays here until it drains.
 */
const bufferBytesInitial = 64 * 1024;

interface WritableSocket {
  write(data: Uint8Array): number;
}

export class OutputBuffer {
  private buffer = new Uint8Array(bufferBytesInitial);
  length = 0;

  /** The buffer that claim() reserved room in; valid until the next claim() or append(). */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  append(frame: Uint8Array): void {
    const start = this.claim(frame.length);
    this.buffer.set(frame, start);
  }

  /** Reserves `byteCount` bytes at the end for the caller to fill; returns where they start in `bytes` (read `bytes` after this call: it may grow). */
  claim(byteCount: number): number {
    const start = this.length;
    if (start + byteCount > this.buffer.length) {
      const grown = new Uint8Array(Math.max(start + byteCount, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, start));
      this.buffer = grown;
    }
    this.length = start + byteCount;
    return start;
  }

  /** Writes what the socket takes; returns the bytes written. */
  flush(socket: WritableSocket): number {
    if (this.length === 0) return 0;
    const written = Math.max(0, socket.write(this.buffer.subarray(0, this.length)));
    if (written < this.length) this.buffer.copyWithin(0, written, this.length);
    this.length -= written;
    if (this.length === 0 && this.buffer.length > bufferBytesInitial) this.buffer = new Uint8Array(bufferBytesInitial);
    return written;
  }
}
