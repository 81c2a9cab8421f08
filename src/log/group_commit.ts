/**
 * Group commit: appends queue a waiter and schedule one flush; the flush writes every queued
 * record with one write and covers them all with one fdatasync, then resolves every waiter.
 *
 * The flush runs in a setImmediate callback (`always`), i.e. once per event-loop turn after
 * the turn's I/O callbacks have queued their appends, or after batchDelayMs (`batch`).
 *
 * Where its fdatasync runs depends on the load it sees:
 * - a flush of at least backgroundSyncRecordsMin records (writers are many; a log option,
 *   default backgroundSyncRecordsMinDefault) fdatasyncs in the thread pool, one at a time:
 *   while the disk works, the event loop goes on reading requests and appending their
 *   records, and when the fdatasync completes the next flush covers everything queued
 *   meanwhile (a synchronous fdatasync would block the loop for the whole disk round trip, so
 *   the process's own work could never overlap the disk);
 * - a smaller flush (a lone writer) fdatasyncs on this thread: there is little to overlap, and
 *   the hand-off to a pool thread and back costs more than it saves (about 50 µs measured
 *   here). The Raft storage sets the option to 1: its leader has acknowledgements to count
 *   while its own write runs.
 * Explicit flushes (sync(), truncation, reset, close) always write and fdatasync synchronously.
 */
import { assert } from "../util/assert.ts";
import type { FsyncMode } from "./types.ts";

/**
 * Records in one flush from which its fdatasync goes to the thread pool (see above): a few
 * concurrent writers already gain from overlapping their next requests with the disk.
 */
export const backgroundSyncRecordsMinDefault = 8;

interface Waiter {
  resolve: (lastIndex: number) => void;
  reject: (error: unknown) => void;
  lastIndex: number;
}

/** What a flush does to the disk; each step throws (or reports) an I/O failure. */
export interface FlushSteps {
  /** Writes the queued records to the file (page cache). */
  write(): void;
  /** fdatasync on this thread. */
  syncNow(): void;
  /** fdatasync in the thread pool; `done` gets null or the failure. */
  syncInBackground(done: (failure: unknown | null) => void): void;
}

export class GroupCommit {
  private waiters: Waiter[] = [];
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** A background fdatasync is running; its completion schedules the next flush. */
  private syncing = false;
  /** The last record index a flush covered (0 before the first). */
  private flushedThroughIndex = 0;
  /** The waiter enqueueShared() put in the queue, until a flush takes it; its promise is shared. */
  private shared: { promise: Promise<number>; waiter: Waiter } | null = null;

  /** Made once: a flush is scheduled for nearly every write, a closure each time adds up. */
  private readonly flushOnImmediate = (): void => {
    this.immediate = null;
    this.flushScheduled();
  };

  constructor(
    private readonly mode: FsyncMode,
    private readonly batchDelayMs: number,
    private readonly steps: FlushSteps,
    private readonly backgroundSyncRecordsMin = backgroundSyncRecordsMinDefault,
  ) {}

  /** Resolves with `lastIndex` once a flush has covered every record appended so far. */
  enqueue(lastIndex: number): Promise<number> {
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.waiters.push({ resolve, reject, lastIndex });
    this.schedule();
    return promise;
  }

  /**
   * Resolves once a flush has covered every record appended so far, like enqueue(), but every
   * call made before that flush takes its waiters shares one waiter and one promise (resolving
   * with the newest `lastIndex` given): for many callers per turn that need no index of their own.
   */
  enqueueShared(lastIndex: number): Promise<number> {
    if (this.shared !== null) {
      this.shared.waiter.lastIndex = lastIndex;
      return this.shared.promise;
    }
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    const waiter = { resolve, reject, lastIndex };
    this.waiters.push(waiter);
    this.shared = { promise, waiter };
    this.schedule();
    return promise;
  }

  pendingCount(): number {
    return this.waiters.length;
  }

  /**
   * Writes and fdatasyncs now, whatever the mode, and settles every queued waiter. Waiters of a
   * background fdatasync still running are settled by it; their records are covered by this one too.
   */
  flushNow(): void {
    this.cancelSchedule();
    const settled = this.takeWaiters();
    try {
      this.steps.write();
    } catch (error) {
      settle(settled, error);
      throw error;
    }
    const failure = this.syncNowAndSettle(settled);
    if (failure !== null) throw failure;
  }

  /** Rejects every waiter, for a log that can no longer write. */
  failAll(error: unknown): void {
    this.cancelSchedule();
    settle(this.takeWaiters(), error);
  }

  /** fdatasync on this thread, then settles `settled`; returns the failure, if any (already given to the waiters). */
  private syncNowAndSettle(settled: Waiter[]): unknown | null {
    try {
      this.steps.syncNow();
    } catch (error) {
      settle(settled, error);
      return error;
    }
    settle(settled, null);
    return null;
  }

  private takeWaiters(): Waiter[] {
    const taken = this.waiters;
    this.waiters = [];
    this.shared = null;
    return taken;
  }

  private schedule(): void {
    if (this.immediate !== null || this.timer !== null || this.syncing) return;
    if (this.mode === "batch") {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flushScheduled();
      }, this.batchDelayMs);
    } else {
      this.immediate = setImmediate(this.flushOnImmediate);
    }
  }

  private cancelSchedule(): void {
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.timer !== null) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }

  private flushScheduled(): void {
    if (this.syncing) return;
    const settled = this.takeWaiters();
    if (settled.length === 0) return;
    try {
      this.steps.write();
    } catch (error) {
      settle(settled, error);
      return;
    }
    const throughIndex = settled[settled.length - 1]!.lastIndex;
    const recordsCount = this.flushedThroughIndex === 0 ? 1 : throughIndex - this.flushedThroughIndex;
    this.flushedThroughIndex = throughIndex; // may go down after a truncation: the next count is then small
    if (this.mode === "unsafe-no-fsync") {
      settle(settled, null);
      return;
    }
    if (recordsCount < this.backgroundSyncRecordsMin) {
      this.syncNowAndSettle(settled);
      return;
    }
    this.syncing = true;
    this.steps.syncInBackground((failure) => {
      this.syncing = false;
      settle(settled, failure);
      if (this.waiters.length > 0) this.schedule();
    });
  }
}

function settle(waiters: Waiter[], failure: unknown | null): void {
  for (const waiter of waiters) {
    if (failure !== null) {
      waiter.reject(failure);
      continue;
    }
    assert(waiter.lastIndex >= 1, "waiter without a record");
    waiter.resolve(waiter.lastIndex);
  }
}
