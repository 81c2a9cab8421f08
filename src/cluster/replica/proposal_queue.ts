/**
 * Writes waiting for the next loop turn: the turn hands all of them (up to proposalsPerTurnMax)
 * to the Raft core as one proposeBatch, so one append message per follower and one fsync carry
 * them (STYLE.md point 9). Placed proposals move to the ProposalTracker until applied. A write
 * whose entry is over the core's proposalBytesMax is refused alone with TOO_LARGE and never
 * proposed: the core would refuse the whole batch for it, and the bound is what keeps every
 * append within one peer frame (cluster_limits.ts).
 */
import { assert } from "../../util/assert.ts";
import type { ProposalTracker, ProposalWaiter } from "./proposal_tracker.ts";
import type { RawNode } from "../raft/raw_node.ts";
import { ReplicationError } from "../replication_error.ts";

/** A write before it is proposed; it becomes its own ProposalWaiter once placed (`term` set then). */
interface QueuedProposal<Outcome> extends ProposalWaiter<Outcome> {
  data: Uint8Array;
}

export class ProposalQueue<Outcome> {
  private queued: QueuedProposal<Outcome>[] = [];

  constructor(private readonly proposalsPerTurnMax: number) {}

  get size(): number {
    return this.queued.length;
  }

  push(proposal: QueuedProposal<Outcome>): void {
    this.queued.push(proposal);
  }

  /**
   * Proposes up to one turn's worth; their waiters go to `tracker`. A refusal of the core (not
   * the leader, too large, ...) rejects the whole batch with `translate(error)`. Returns whether
   * more remain for the next turn.
   */
  submit(node: RawNode, tracker: ProposalTracker<Outcome>, translate: (error: unknown) => Error): boolean {
    if (this.queued.length === 0) return false;
    const batch = refuseOversized(this.queued.splice(0, this.proposalsPerTurnMax), node.proposalBytesMax);
    if (batch.length === 0) return this.queued.length > 0;
    const data: Uint8Array[] = [];
    for (const queued of batch) data.push(queued.data);
    let placement;
    try {
      placement = node.proposeBatch(data);
    } catch (error) {
      const refusal = translate(error);
      for (const queued of batch) queued.reject(refusal);
      return this.queued.length > 0;
    }
    assert(placement.lastIndex - placement.firstIndex + 1 === batch.length, "proposal batch placed with another length");
    for (let offset = 0; offset < batch.length; offset++) {
      const queued = batch[offset]!;
      queued.term = placement.term;
      tracker.add(placement.firstIndex + offset, queued);
    }
    return this.queued.length > 0;
  }

  /** Rejects with TIMEOUT what waited past its deadline without being proposed (no leader meanwhile). */
  expire(nowMs: number): void {
    this.queued = this.queued.filter((queued) => {
      if (queued.deadlineAtMs > nowMs) return true;
      queued.reject(new ReplicationError("TIMEOUT", "the write was not proposed within its deadline (no leader)"));
      return false;
    });
  }

  rejectAll(error: Error): void {
    for (const queued of this.queued) queued.reject(error);
    this.queued = [];
  }
}

/** `taken` without the writes whose entry is over `proposalBytesMax`, each refused with TOO_LARGE. */
function refuseOversized<Outcome>(
  taken: QueuedProposal<Outcome>[],
  proposalBytesMax: number,
): QueuedProposal<Outcome>[] {
  if (taken.every((queued) => queued.data.length <= proposalBytesMax)) return taken;
  const fitting: QueuedProposal<Outcome>[] = [];
  for (const queued of taken) {
    if (queued.data.length <= proposalBytesMax) {
      fitting.push(queued);
      continue;
    }
    const message = `the write's Raft entry is ${queued.data.length} bytes, over the ${proposalBytesMax}-byte limit `
      + "(one entry must fit one append message to the followers)";
    queued.reject(new ReplicationError("TOO_LARGE", message));
  }
  return fitting;
}
