/**
 * GroupCommit's choice of where to fdatasync: on the event-loop thread for a small flush (a lone
 * writer), in the thread pool for a large one, and never settling a waiter before the fdatasync
 * that covers it.
 */
import { describe, expect, test } from "bun:test";
import { backgroundSyncRecordsMinDefault, GroupCommit, type FlushSteps } from "../../src/log/group_commit.ts";

class RecordingSteps implements FlushSteps {
  readonly calls: string[] = [];
  private pendingBackground: Array<(failure: unknown | null) => void> = [];
  write(): void {
    this.calls.push("write");
  }
  syncNow(): void {
    this.calls.push("syncNow");
  }
  syncInBackground(done: (failure: unknown | null) => void): void {
    this.calls.push("syncInBackground");
    this.pendingBackground.push(done);
  }
  /** Completes the background fdatasync in flight. */
  completeBackground(failure: unknown | null = null): void {
    const done = this.pendingBackground.shift();
    expect(done).toBeDefined();
    done!(failure);
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("group commit", () => {
  test("a flush of a few records fdatasyncs on this thread; a large one in the thread pool", async () => {
    const steps = new RecordingSteps();
    const commit = new GroupCommit("always", 0, steps);
    let index = 0;
    const small = [commit.enqueue(++index)];
    await Promise.all(small);
    expect(steps.calls).toEqual(["write", "syncNow"]);

    steps.calls.length = 0;
    const large = Array.from({ length: backgroundSyncRecordsMinDefault }, () => commit.enqueue(++index));
    let settled = 0;
    for (const waiter of large) void waiter.then(() => settled++);
    await nextTurn();
    expect(steps.calls).toEqual(["write", "syncInBackground"]);
    // Appends meanwhile wait for the next flush, which starts only once this fdatasync is done.
    const meanwhile = commit.enqueue(++index);
    await nextTurn();
    expect(settled).toBe(0);
    expect(steps.calls).toEqual(["write", "syncInBackground"]);
    steps.completeBackground();
    await Promise.all(large);
    expect(settled).toBe(backgroundSyncRecordsMinDefault);
    expect(await meanwhile).toBe(index);
    expect(steps.calls).toEqual(["write", "syncInBackground", "write", "syncNow"]);
  });

  test("with backgroundSyncRecordsMin 1, a lone record's fdatasync runs in the thread pool too", async () => {
    const steps = new RecordingSteps();
    const commit = new GroupCommit("always", 0, steps, 1);
    const lone = commit.enqueue(1);
    await nextTurn();
    expect(steps.calls).toEqual(["write", "syncInBackground"]);
    steps.completeBackground();
    expect(await lone).toBe(1);
  });

  test("a failed background fdatasync rejects the waiters it covered", async () => {
    const steps = new RecordingSteps();
    const commit = new GroupCommit("always", 0, steps);
    await commit.enqueue(1);
    const waiters = Array.from({ length: backgroundSyncRecordsMinDefault }, (_, offset) => commit.enqueue(2 + offset));
    await nextTurn();
    steps.completeBackground(new Error("disk gone"));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow("disk gone");
  });

  test("shared waiters: calls before a flush share one promise; calls after it started wait for the next", async () => {
    const steps = new RecordingSteps();
    const commit = new GroupCommit("always", 0, steps, 1);
    const first = commit.enqueueShared(1);
    expect(commit.enqueueShared(2)).toBe(first);
    expect(commit.enqueueShared(3)).toBe(first);
    expect(commit.pendingCount()).toBe(1);
    await nextTurn();
    expect(steps.calls).toEqual(["write", "syncInBackground"]);
    // The flush took the shared waiter: a call now is not covered by its write.
    const second = commit.enqueueShared(4);
    expect(second).not.toBe(first);
    steps.completeBackground();
    expect(await first).toBe(3);
    await nextTurn();
    expect(steps.calls).toEqual(["write", "syncInBackground", "write", "syncInBackground"]);
    steps.completeBackground();
    expect(await second).toBe(4);
  });
});
