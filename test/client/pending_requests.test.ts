/**
 * The deadline sweep against a model: whatever the mix of deadlines, answers and sweep times,
 * a sweep fails exactly the requests whose deadline has passed, even though it skips its walk
 * while no deadline can have passed (a lower bound on the earliest one).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FileStoreError } from "../../src/client/errors";
import { PendingRequests, wholeReply, type PendingRequest } from "../../src/client/pending_requests";
import { errorReply, foundGetReply } from "../../src/net/messages";
import { readGetValue, readPutVersion } from "../../src/client/reply_readers";

type Step =
  | { op: "add"; timeoutMs: number; sent: boolean }
  | { op: "answer"; pick: number }
  | { op: "sweep"; advanceMs: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("add" as const), timeoutMs: fc.integer({ min: 1, max: 500 }), sent: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("answer" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("sweep" as const), advanceMs: fc.integer({ min: 0, max: 200 }) }) },
);

interface Outcome { requestId: number; error: string | null }

function pendingRequest(requestId: number, deadlineMs: number, outcomes: Outcome[]): PendingRequest {
  return {
    requestId, frame: new Uint8Array(0), isWrite: false, sequence: 0, deadlineMs, sent: false, settled: false, read: wholeReply,
    redirect: null,
    resolve: () => outcomes.push({ requestId, error: null }),
    reject: (error) => outcomes.push({ requestId, error: (error as FileStoreError).code }),
  };
}

describe("pending requests", () => {
  test("a sweep fails exactly the requests past their deadline, and no other", () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const pending = new PendingRequests();
      const outcomes: Outcome[] = [];
      const model = new Map<number, number>();
      let nowMs = 0;
      let nextId = 1;
      for (const item of steps) {
        if (item.op === "add") {
          const request = pendingRequest(nextId, nowMs + item.timeoutMs, outcomes);
          if (item.sent) pending.addSent(request);
          else pending.add(request);
          model.set(nextId, request.deadlineMs);
          nextId++;
        } else if (item.op === "answer") {
          const ids = [...model.keys()];
          if (ids.length === 0) continue;
          const id = ids[item.pick % ids.length]!;
          // Only sent requests take answers: send the queue first.
          while (pending.takeUnsent() !== null);
          expect(pending.answer(id, errorReply("NOT_FOUND", ""))).toBe(true);
          model.delete(id);
          expect(outcomes.pop()).toEqual({ requestId: id, error: null });
        } else {
          nowMs += item.advanceMs;
          pending.expire(nowMs);
          const expired = [...model].filter(([, deadlineMs]) => deadlineMs <= nowMs).map(([id]) => id);
          expect(outcomes.splice(0).map((outcome) => outcome.requestId).sort((a, b) => a - b)).toEqual(expired);
          for (const id of expired) model.delete(id);
        }
        expect(pending.size).toBe(model.size);
      }
    }));
  });

  test("a short deadline added after a long one still expires on time", () => {
    const pending = new PendingRequests();
    const outcomes: Outcome[] = [];
    pending.addSent(pendingRequest(1, 1_000, outcomes));
    pending.expire(10);
    pending.addSent(pendingRequest(2, 50, outcomes));
    pending.expire(49);
    expect(outcomes).toEqual([]);
    pending.expire(50);
    expect(outcomes).toEqual([{ requestId: 2, error: "TIMEOUT" }]);
    pending.expire(999);
    expect(pending.size).toBe(1);
    pending.expire(1_000);
    expect(outcomes[1]).toEqual({ requestId: 1, error: "TIMEOUT" });
    expect(pending.size).toBe(0);
  });
});

describe("pending requests: replies", () => {
  test("a found get given as its value resolves a get with that value, and any other request as its reply would", () => {
    const pending = new PendingRequests();
    const settled: Array<{ requestId: number; value?: unknown; error?: unknown }> = [];
    const tracked = (requestId: number, read: PendingRequest["read"]): PendingRequest => ({
      ...pendingRequest(requestId, 1_000, []), read,
      resolve: (value) => settled.push({ requestId, value }),
      reject: (error) => settled.push({ requestId, error: (error as FileStoreError).code }),
    });
    const value = new Uint8Array([1, 2, 3]);
    pending.addSent(tracked(1, readGetValue as PendingRequest["read"]));
    pending.addSent(tracked(2, wholeReply));
    pending.addSent(tracked(3, readPutVersion as PendingRequest["read"]));
    pending.add(tracked(4, readGetValue as PendingRequest["read"]));
    expect(pending.answerFoundGet(1, value, 7)).toBe(true);
    expect(pending.answerFoundGet(2, value, 7)).toBe(true);
    expect(pending.answerFoundGet(3, value, 7)).toBe(true);
    // Not sent yet, or not pending at all: not answered.
    expect(pending.answerFoundGet(4, value, 7)).toBe(false);
    expect(pending.answerFoundGet(99, value, 7)).toBe(false);
    expect(settled).toEqual([
      { requestId: 1, value },
      { requestId: 2, value: foundGetReply(value, 7) },
      { requestId: 3, error: "INTERNAL" },
    ]);
    expect(pending.size).toBe(1);
  });
});
