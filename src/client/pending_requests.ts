/**
 * Requests not yet answered, in the order they were made. Each is either waiting to be sent
 * (no connection, or the pipelining window is full) or sent and awaiting its reply. Deadlines
 * are checked by one sweep rather than a timer per request, so thousands in flight stay cheap.
 */
import { foundGetReply, type Reply } from "../net/messages.ts";
import { readGetValue } from "./reply_readers.ts";
import { RequestSlots } from "./request_slots.ts";
import { FileStoreError } from "./errors.ts";

/**
 * Turns a reply into what the caller's promise resolves with; throws (a FileStoreError) to
 * reject it instead. Applied when the reply arrives, so a call costs one promise, not a chain.
 */
export type ReplyReader<T> = (reply: Reply) => T;

/** The reader that hands the reply on as it is (the handshake, the leader router). */
export const wholeReply: ReplyReader<Reply> = (reply) => reply;

/**
 * Who handles a reply that sends the request elsewhere (NOT_LEADER, WRONG_SHARD, UNAVAILABLE):
 * the routing client (shard_router.ts), which retries it there; the caller's promise settles with
 * what redirected() settles with. Replies are handed over here rather than to the reader so that
 * the common reply (the right place) costs no promise beyond the caller's.
 */
export interface Redirect {
  redirected(reply: Reply): Promise<unknown>;
  /**
   * Optional: the request got no reply before its deadline (it fails TIMEOUT or UNKNOWN_OUTCOME as
   * before); the router stops sending to a server that may be hung (a paused process).
   */
  silent?(): void;
}

/**
 * The statuses a Redirect takes over. NOT_LEADER and WRONG_SHARD say nothing was applied;
 * UNAVAILABLE that the node cannot serve now (a write it took may have been proposed: the routing
 * client resends it with its identity, which the shard's state machine deduplicates).
 */
export function isRedirectStatus(status: Reply["status"]): boolean {
  return status === "NOT_LEADER" || status === "WRONG_SHARD" || status === "UNAVAILABLE";
}

export interface PendingRequest {
  readonly requestId: number;
  /** The encoded frame, kept to send again after a reconnect. */
  readonly frame: Uint8Array;
  /** A write may have been applied once sent: it is never resent without deduplication. */
  readonly isWrite: boolean;
  /** A write's sequence in the client's session; 0 for other requests. */
  readonly sequence: number;
  readonly deadlineMs: number;
  /** Handed to a connection (the current one, or one now lost). */
  sent: boolean;
  settled: boolean;
  read: ReplyReader<unknown>;
  /** Takes redirect replies instead of `read` (see Redirect); null: every reply goes to `read`. */
  redirect: Redirect | null;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class PendingRequests {
  /** Every request comes and goes through here (request_slots.ts: a ring, nearly always). */
  private readonly byId = new RequestSlots<PendingRequest>();
  /** Sequences of the writes pending, in increasing order (they are added in that order). */
  private readonly writeSequences = new Set<number>();
  /** Requests to send, oldest first; settled ones are skipped when taken. */
  private unsent: PendingRequest[] = [];
  /** Index of the oldest entry of `unsent` still to take (a queue without O(n) shifts). */
  private unsentHead = 0;
  sentCount = 0;
  private emptyWaiters: Array<() => void> = [];
  /**
   * No pending request's deadline is earlier than this. Kept on add and recomputed by each
   * walk; a request settled since only raises the true earliest deadline, so the bound stays
   * safe, and the sweep walks the requests once this bound passes instead of at every tick
   * (about once per timeout rather than every 10 ms under steady load).
   */
  private deadlineLowerBoundMs = Infinity;

  /** Resolves once no request is pending. */
  whenEmpty(): Promise<void> {
    if (this.byId.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  get size(): number {
    return this.byId.size;
  }

  get unsentCount(): number {
    return this.unsent.length - this.unsentHead;
  }

  /** The lowest sequence of a write still pending; undefined when none is. */
  oldestWriteSequence(): number | undefined {
    for (const sequence of this.writeSequences) return sequence;
    return undefined;
  }

  add(request: PendingRequest): void {
    this.track(request);
    this.unsent.push(request);
  }

  /** A request sent at once, ahead of the queue (a handshake ping, or any request when nothing waits to be sent). */
  addSent(request: PendingRequest): void {
    request.sent = true;
    this.sentCount++;
    this.track(request);
  }

  private track(request: PendingRequest): void {
    if (request.sequence > 0) this.writeSequences.add(request.sequence);
    if (request.deadlineMs < this.deadlineLowerBoundMs) this.deadlineLowerBoundMs = request.deadlineMs;
    this.byId.add(request);
  }

  /** The next request to send, marked as sent; null when none waits. */
  takeUnsent(): PendingRequest | null {
    while (this.unsentHead < this.unsent.length) {
      const request = this.unsent[this.unsentHead++]!;
      if (this.unsentHead === this.unsent.length) {
        this.unsent = [];
        this.unsentHead = 0;
      }
      if (request.settled) continue;
      request.sent = true;
      this.sentCount++;
      return request;
    }
    return null;
  }

  /** Settles the request answered by `reply`; false when it is no longer pending (e.g. timed out). */
  answer(requestId: number, reply: Reply): boolean {
    const request = this.byId.get(requestId);
    if (request === undefined || !request.sent) return false;
    this.settle(request, reply);
    return true;
  }

  /** Removes `request` and settles it with `reply`: through its redirect when it is one, else its reader. */
  private settle(request: PendingRequest, reply: Reply): void {
    this.remove(request);
    let value: unknown;
    try {
      const redirect = request.redirect;
      value = redirect !== null && isRedirectStatus(reply.status) ? redirect.redirected(reply) : request.read(reply);
    } catch (error) {
      request.reject(error);
      return;
    }
    request.resolve(value);
  }

  /**
   * answer() for a found get given as its value and version: a request read by readGetValue
   * resolves with the value itself, without a Reply object; any other is answered as usual.
   */
  answerFoundGet(requestId: number, value: Uint8Array, version: number): boolean {
    const request = this.byId.get(requestId);
    if (request === undefined || !request.sent) return false;
    if (request.read !== readGetValue) return this.answer(requestId, foundGetReply(value, version));
    this.remove(request);
    request.resolve(value);
    return true;
  }

  fail(request: PendingRequest, error: FileStoreError): void {
    if (request.settled) return;
    this.remove(request);
    request.reject(error);
  }

  /**
   * After a connection is lost: every request a router takes redirects of (sent or not) is handed
   * to it with `reply` (an UNAVAILABLE saying so), to be tried at another replica; a write keeps
   * its identity there, so the shard deduplicates it whichever replica applied it first.
   */
  redirectAll(reply: Reply): void {
    for (const request of this.byId.values()) {
      if (request.redirect !== null) this.settle(request, reply);
    }
  }

  /** After a connection is lost: every sent request, for the caller to resend or fail. */
  takeSent(): PendingRequest[] {
    const sent = this.byId.values().filter((request) => request.sent);
    this.sentCount = 0;
    for (const request of sent) request.sent = false;
    return sent;
  }

  /** Puts requests back at the front of the send queue, in their original order. */
  requeueFront(requests: PendingRequest[]): void {
    this.unsent = [...requests, ...this.unsent.slice(this.unsentHead)];
    this.unsentHead = 0;
  }

  /** Fails every request whose deadline has passed. */
  expire(nowMs: number): void {
    if (nowMs < this.deadlineLowerBoundMs) return;
    let earliestRemainingMs = Infinity;
    for (const request of this.byId.values()) {
      if (request.deadlineMs > nowMs) {
        earliestRemainingMs = Math.min(earliestRemainingMs, request.deadlineMs);
        continue;
      }
      const maybeApplied = request.sent && request.isWrite;
      if (request.sent) request.redirect?.silent?.();
      this.fail(request, maybeApplied
        ? new FileStoreError("UNKNOWN_OUTCOME", "the write was sent but no reply came in time; it may have been applied")
        : new FileStoreError("TIMEOUT", request.sent ? "no reply in time" : "no connection in time; nothing was sent"));
    }
    this.deadlineLowerBoundMs = earliestRemainingMs;
  }

  failAll(error: FileStoreError): void {
    for (const request of this.byId.values()) this.fail(request, error);
  }

  private remove(request: PendingRequest): void {
    request.settled = true;
    this.byId.delete(request.requestId);
    if (request.sequence > 0) this.writeSequences.delete(request.sequence);
    if (request.sent) this.sentCount--;
    if (this.byId.size === 0 && this.emptyWaiters.length > 0) {
      for (const resolve of this.emptyWaiters.splice(0)) resolve();
    }
  }
}
