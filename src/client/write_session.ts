/**
 * One client session's write identities when its writes travel over many connections (the
 * routing client: one connection per node). Every write gets its (session, sequence) once, when
 * it is made, and keeps it on every attempt, whichever node an attempt reaches, so a shard's
 * replicated state machine can deduplicate it (Raft dissertation §6.3). The oldest sequence still
 * pending is the session's, across every connection: a node forgets outcomes below the oldest
 * sequence a write carries, and a write of this session still unanswered on another connection
 * (or waiting to be retried) must not be forgotten. Sequences of one session are spread over many
 * shards, so each shard sees gaps; the deduplication tables allow them.
 */
import { assert } from "../util/assert.ts";
import { newSessionId } from "./session_id.ts";

export class WriteSession {
  readonly sessionId: Uint8Array = newSessionId();
  private nextSequence = 1;
  /** Sequences of writes made and not yet settled, in increasing order (they are added so). */
  private readonly pending = new Set<number>();

  /** The sequence of a new write, pending until end() is called with it. */
  begin(): number {
    const sequence = this.nextSequence++;
    this.pending.add(sequence);
    return sequence;
  }

  /** The write of `sequence` settled (answered, refused or given up): it will never be sent again. */
  end(sequence: number): void {
    const wasPending = this.pending.delete(sequence);
    assert(wasPending, `write ${sequence} of the session ended twice`);
  }

  /** The lowest sequence of a write still pending: the write carries it, so it is at most its own. */
  oldestPending(): number {
    for (const sequence of this.pending) return sequence;
    return this.nextSequence;
  }
}
