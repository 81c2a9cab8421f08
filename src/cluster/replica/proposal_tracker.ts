/**
 * Proposals of this node waiting for their entry to be applied. Each is keyed by the index
 * and term the leader gave it: when the entry applied at that index has the same term, it is
 * ours and its outcome resolves the proposal; another term means a new leader overwrote it and
 * it was never applied (Raft §6.3: the client may resend it with the same identity).
 */
import { ChurnMap } from "../../util/churn_map.ts";
import { ReplicationError } from "../replication_error.ts";
import type { Entry } from "../raft/types.ts";

/** `Outcome` is what the group's machine answers a proposal with (replicated_machine.ts). */
export interface ProposalWaiter<Outcome = unknown> {
  term: number;
  deadlineAtMs: number;
  proposedAtMs: number;
  resolve: (outcome: Outcome | undefined) => void;
  reject: (error: Error) => void;
}

export class ProposalTracker<Outcome> {
  /** One waiter in and out per proposal: a ChurnMap, so settled waiters are garbage at once. */
  private readonly waiters = new ChurnMap<number, ProposalWaiter<Outcome>>();

  get size(): number {
    return this.waiters.size;
  }

  add(index: number, waiter: ProposalWaiter<Outcome>): void {
    this.waiters.set(index, waiter);
  }

  /** The entry at `entry.index` was applied; `outcome` is what applying it gave. */
  applied(
    entry: Entry,
    outcome: Promise<Outcome> | undefined,
    onSettled: (waiter: ProposalWaiter<Outcome>) => void,
  ): void {
    const waiter = this.waiters.get(entry.index);
    if (waiter === undefined) return;
    this.waiters.delete(entry.index);
    if (waiter.term !== entry.term) {
      waiter.reject(new ReplicationError("UNAVAILABLE", "leadership changed before the write committed; it was not applied"));
      return;
    }
    onSettled(waiter);
    if (outcome === undefined) waiter.resolve(undefined);
    else void outcome.then(waiter.resolve, waiter.reject);
  }

  /** Rejects with TIMEOUT every proposal whose deadline passed; it may still commit later. */
  expire(nowMs: number): void {
    for (const [index, waiter] of this.waiters) {
      if (waiter.deadlineAtMs > nowMs) continue;
      this.waiters.delete(index);
      waiter.reject(new ReplicationError("TIMEOUT", "the write did not commit within its deadline; it may still be applied, resend it with the same identity"));
    }
  }

  /** After a snapshot replaced the log, every index up to `index` is settled without us. */
  droppedThrough(index: number): void {
    for (const [waiterIndex, waiter] of this.waiters) {
      if (waiterIndex > index) continue;
      this.waiters.delete(waiterIndex);
      const why = "a snapshot replaced the log before the write was seen applied";
      waiter.reject(outcomeUnknown(why));
    }
  }

  /**
   * The node stops waiting (shutdown, failure, removal). Each of these proposals is in the log
   * and may still commit under a new leader, so its outcome is unknown: TIMEOUT on the wire,
   * never UNAVAILABLE, which clients may resend elsewhere as a new write (applied twice).
   */
  rejectAll(reason: Error): void {
    if (this.waiters.size === 0) return;
    const error = outcomeUnknown(reason.message);
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}

/** A proposal's outcome cannot be known here: TIMEOUT, whose wire meaning for a write is just that. */
function outcomeUnknown(why: string): ReplicationError {
  return new ReplicationError("TIMEOUT", `${why}; the write was proposed and may still be applied (outcome unknown)`);
}
