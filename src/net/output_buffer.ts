/**
 * Replies waiting for a socket. Replies produced in one event-loop turn are gathered and
 * written with one call; what the socket does not take stays here until it drains.
 */
const bufferBytesInitial = 64 * 1024;

export interface WritableSocket {
  write(data: Uint8Array): number;
}

export class OutputBuffer {
  private bytes = new Uint8Array(bufferBytesInitial);
  length = 0;

  append(frame: Uint8Array): void {
    if (this.length + frame.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.length + frame.length, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(frame, this.length);
    this.length += frame.length;
  }

  /** Writes what the socket takes; returns the bytes written. */
  flush(socket: WritableSocket): number {
    if (this.length === 0) return 0;
    const written = Math.max(0, socket.write(this.bytes.subarray(0, this.length)));
    if (written < this.length) this.bytes.copyWithin(0, written, this.length);
    this.length -= written;
    if (this.length === 0 && this.bytes.length > bufferBytesInitial) this.bytes = new Uint8Array(bufferBytesInitial);
    return written;
  }
}
