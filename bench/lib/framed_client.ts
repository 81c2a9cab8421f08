/**
 * A raw pipelined client for length-prefixed frames over Bun.connect: `request(frame)` sends a
 * whole frame and resolves with the next reply frame. Replies are matched first-in first-out,
 * which holds for an echo peer that answers in order.
 */
import type { Socket } from "bun";
import { BenchError } from "./errors.ts";
import { FrameReassembler, WriteQueue } from "./frames.ts";

/**
 * Answered waiters are dropped from the front of the queue once this many have piled up (and
 * they are the larger part): rare enough to cost nothing, often enough to bound the array.
 */
const answeredWaitersCompactCount = 1024;

interface Waiter {
  resolve: (payload: Uint8Array) => void;
  reject: (error: Error) => void;
}

export class FramedClient {
  private readonly waiters: Waiter[] = [];
  private waiterHead = 0;
  private socket!: Socket<undefined>;
  private writeQueue!: WriteQueue;
  private closed = false;
  /** Why the connection ended, for requests made after it did. */
  private closeReason = "client is closed";

  private constructor(private readonly peerName: string) {}

  /** `peerName` names the server in errors, e.g. "loopback server". */
  static async connect(port: number, peerName = "server"): Promise<FramedClient> {
    const client = new FramedClient(`${peerName} on port ${port}`);
    const reassembler = new FrameReassembler((payload) => client.deliver(payload));
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => reassembler.push(chunk),
        drain: () => client.writeQueue.flush(),
        close: () => client.failAll(new BenchError("connection closed by the server")),
        error: (_socket, error) => client.failAll(new BenchError(`socket error: ${error.message}`)),
      },
    });
    client.socket.setNoDelay(true);
    client.writeQueue = new WriteQueue(client.socket);
    return client;
  }

  request(frame: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new BenchError(this.closeReason));
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.writeQueue.write(frame);
    });
  }

  close(): void {
    this.closed = true;
    this.closeReason = "client is closed";
    this.socket.end();
  }

  private deliver(payload: Uint8Array): void {
    const waiter = this.waiters[this.waiterHead];
    if (!waiter) {
      this.failAll(new BenchError("reply without a request"));
      return;
    }
    this.waiters[this.waiterHead] = undefined as unknown as Waiter;
    this.waiterHead += 1;
    if (this.waiterHead > answeredWaitersCompactCount && this.waiterHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waiterHead);
      this.waiterHead = 0;
    }
    waiter.resolve(payload);
  }

  private failAll(error: Error): void {
    if (!this.closed) this.closeReason = `${error.message} (${this.peerName})`;
    this.closed = true;
    const pending = this.waiters.splice(this.waiterHead);
    this.waiterHead = 0;
    this.waiters.length = 0;
    for (const waiter of pending) waiter?.reject(error);
  }
}
