/**
 * Strong reads (ReadIndex, Raft §6.4). All reads that arrive during one loop turn share one
 * ReadIndex request: the leader confirms with a heartbeat round that it still leads, answers
 * with its commit index, and every read of the batch is served once this node has applied that
 * far. A read is never served from a leader that has not confirmed its leadership after the
 * read arrived.
 */
import { ReplicationError } from "../replication_error.ts";
import type { ReadState } from "../raft/types.ts";

interface ReadWaiter {
  deadlineAtMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface ConfirmedBatch {
  index: number;
  waiters: ReadWaiter[];
}

const contextBytes = 8;

export class ReadTracker {
  private queued: ReadWaiter[] = [];
  private readonly issued = new Map<string, ReadWaiter[]>();
  private confirmed: ConfirmedBatch[] = [];
  private nextContext = 1;

  get size(): number {
    let total = this.queued.length;
    for (const waiters of this.issued.values()) total += waiters.length;
    for (const batch of this.confirmed) total += batch.waiters.length;
    return total;
  }

  enqueue(waiter: ReadWaiter): void {
    this.queued.push(waiter);
  }

  /** Takes the reads queued this turn and names their shared ReadIndex request; null when none. */
  takeQueued(): { context: Uint8Array; waiters: ReadWaiter[] } | null {
    if (this.queued.length === 0) return null;
    const waiters = this.queued;
    this.queued = [];
    const context = new Uint8Array(contextBytes);
    new DataView(context.buffer).setFloat64(0, this.nextContext++, true);
    return { context, waiters };
  }

  markIssued(context: Uint8Array, waiters: ReadWaiter[]): void {
    this.issued.set(contextKey(context), waiters);
  }

  /** The leader answered: the batch may be served once applied reaches `state.index`. */
  confirm(state: ReadState): void {
    const key = contextKey(state.context);
    const waiters = this.issued.get(key);
    if (waiters === undefined) return;
    this.issued.delete(key);
    this.confirmed.push({ index: state.index, waiters });
  }

  serveUpTo(appliedIndex: number): void {
    if (this.confirmed.length === 0) return;
    const remaining: ConfirmedBatch[] = [];
    for (const batch of this.confirmed) {
      if (batch.index <= appliedIndex) for (const waiter of batch.waiters) waiter.resolve();
      else remaining.push(batch);
    }
    this.confirmed = remaining;
  }

  /** Leadership was lost: reads not yet confirmed never will be here. */
  rejectUnconfirmed(error: ReplicationError): void {
    for (const waiter of this.queued) waiter.reject(error);
    this.queued = [];
    for (const waiters of this.issued.values()) for (const waiter of waiters) waiter.reject(error);
    this.issued.clear();
  }

  expire(nowMs: number): void {
    const timeout = () => new ReplicationError("TIMEOUT", "leadership was not confirmed within the read's deadline");
    const keep = (waiters: ReadWaiter[]) =>
      waiters.filter((waiter) => {
        if (waiter.deadlineAtMs > nowMs) return true;
        waiter.reject(timeout());
        return false;
      });
    this.queued = keep(this.queued);
    for (const [key, waiters] of this.issued) this.issued.set(key, keep(waiters));
    for (const batch of this.confirmed) batch.waiters = keep(batch.waiters);
  }

  rejectAll(error: Error): void {
    this.rejectUnconfirmed(error as ReplicationError);
    for (const batch of this.confirmed) for (const waiter of batch.waiters) waiter.reject(error);
    this.confirmed = [];
  }
}

function contextKey(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.length).toString("hex");
}
