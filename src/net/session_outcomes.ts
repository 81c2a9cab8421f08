/**
 * One client session's remembered write outcomes, the part shared by the single node's
 * WriteDeduplicator and the replicated SessionTable: outcomes by sequence in the order they were
 * remembered (nearly always increasing), and the highest sequence already forgotten.
 */
import { ChurnMap } from "../util/churn_map";

/** A session's outcomes and how far they have been forgotten. */
export interface SessionOutcomes<T> {
  /** A ChurnMap: one outcome in and one out per write. */
  outcomes: ChurnMap<number, T>;
  /** Highest sequence whose outcome was dropped (bound or client watermark); 0 when none. */
  forgottenThrough: number;
}

export function newSessionOutcomes<T>(): SessionOutcomes<T> {
  return { outcomes: new ChurnMap(), forgottenThrough: 0 };
}

/** Remembers `outcome`; past `outcomesMax`, the oldest one is forgotten. */
export function rememberOutcome<T>(session: SessionOutcomes<T>, sequence: number, outcome: T, outcomesMax: number): void {
  session.outcomes.set(sequence, outcome);
  if (session.outcomes.size > outcomesMax) {
    const oldest = session.outcomes.keys().next().value!;
    session.outcomes.delete(oldest);
    session.forgottenThrough = Math.max(session.forgottenThrough, oldest);
  }
}

/** The client waits for no write below `oldestPending` any more: it will never resend one. */
export function forgetOutcomesBelow<T>(session: SessionOutcomes<T>, oldestPending: number): void {
  if (oldestPending - 1 <= session.forgottenThrough) return;
  session.forgottenThrough = oldestPending - 1;
  // Outcomes are remembered as writes arrive, nearly always in increasing sequence order.
  for (const sequence of session.outcomes.keys()) {
    if (sequence >= oldestPending) break;
    session.outcomes.delete(sequence);
  }
}

/** A session id as a map key. */
export function sessionKey(sessionId: Uint8Array): string {
  return Buffer.from(sessionId.buffer, sessionId.byteOffset, sessionId.length).toString("latin1");
}
