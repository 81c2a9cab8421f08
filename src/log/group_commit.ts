/**
 * Group commit: appends queue a waiter and schedule one flush; the flush writes every queued
 * record with one write and covers them all with one fdatasync, then resolves every waiter.
 *
 * The flush runs in a setImmediate callback (`always`), i.e. once per event-loop turn after
 * the turn's I/O callbacks have queued their appends, or after batchDelayMs (`batch`). The
 * fdatasync itself is synchronous: bench/log.ts measures it beside the thread-pool version in
 * interleaved slices, and on the shared disk the two stayed within each other's noise, so the
 * simpler one wins: no descriptor is ever in use by a pool thread when a segment rolls over or is
 * truncated. While it runs, new requests wait in the kernel's socket buffers; the next turn
 * picks them all up, so the next fdatasync covers all of them.
 */
import { assert } from "../util/assert.ts";
import type { FsyncMode } from "./types.ts";

interface Waiter {
  resolve: (lastIndex: number) => void;
  reject: (error: unknown) => void;
  lastIndex: number;
}

export class GroupCommit {
  private waiters: Waiter[] = [];
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly mode: FsyncMode,
    private readonly batchDelayMs: number,
    /** Writes queued records and, when `forceSync` or the mode asks, fdatasyncs them. Throws on I/O failure. */
    private readonly flushToDisk: (forceSync: boolean) => void,
  ) {}

  /** Resolves with `lastIndex` once a flush has covered every record appended so far. */
  enqueue(lastIndex: number): Promise<number> {
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.waiters.push({ resolve, reject, lastIndex });
    this.schedule();
    return promise;
  }

  pendingCount(): number {
    return this.waiters.length;
  }

  /** Flushes now, fdatasync included whatever the mode, and settles every waiter. */
  flushNow(): void {
    this.cancelSchedule();
    const failure = this.flush(true);
    if (failure !== null) throw failure;
  }

  /** Rejects every waiter, for a log that can no longer write. */
  failAll(error: unknown): void {
    this.cancelSchedule();
    const failed = this.waiters;
    this.waiters = [];
    for (const waiter of failed) waiter.reject(error);
  }

  private schedule(): void {
    if (this.immediate !== null || this.timer !== null) return;
    if (this.mode === "batch") {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush(false);
      }, this.batchDelayMs);
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.flush(false);
      });
    }
  }

  private cancelSchedule(): void {
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.timer !== null) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }

  /** Returns the failure, if any, after rejecting the waiters with it (a scheduled flush has no caller to throw to). */
  private flush(forceSync: boolean): unknown | null {
    const settled = this.waiters;
    this.waiters = [];
    try {
      this.flushToDisk(forceSync);
    } catch (error) {
      for (const waiter of settled) waiter.reject(error);
      return error;
    }
    for (const waiter of settled) {
      assert(waiter.lastIndex >= 1, "waiter without a record");
      waiter.resolve(waiter.lastIndex);
    }
    return null;
  }
}
