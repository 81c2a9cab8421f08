/**
 * Remembers the outcome of recent writes per client session, so a write resent with the same
 * (session id, sequence) after a lost reply returns the first outcome instead of applying
 * twice. Each write carries the oldest sequence its client still waits for: outcomes below it
 * are forgotten at once, so a session normally holds only its client's window. Also bounded
 * twice: sessions (least recently used forgotten first) and outcomes per session (oldest first). The table lives in memory: a restarted server has forgotten it, and
 * says so through a new server instance id in its ping reply.
 */
import type { Reply } from "./messages";

interface SessionWrites {
  outcomes: Map<number, Promise<Reply>>;
  /** Highest sequence whose outcome was dropped to respect the bound; 0 when none. */
  forgottenThrough: number;
}

export type PriorOutcome = Promise<Reply> | "forgotten";

export class WriteDeduplicator {
  private readonly sessions = new Map<string, SessionWrites>();

  constructor(private readonly sessionsMax: number, private readonly writesPerSessionMax: number) {}

  /**
   * The outcome of an earlier write with this identity, or "forgotten" when it may have been
   * applied but is no longer known; otherwise `apply()` runs and its outcome is remembered.
   */
  findOrApply(sessionId: Uint8Array, sequence: number, oldestPending: number, apply: () => Promise<Reply>): PriorOutcome | Promise<Reply> {
    const key = sessionKey(sessionId);
    const session = this.touch(key);
    if (session !== undefined) forgetBelow(session, oldestPending);
    const prior = session?.outcomes.get(sequence);
    if (prior !== undefined) return prior;
    if (session !== undefined && sequence <= session.forgottenThrough) return "forgotten";
    const outcome = apply();
    this.remember(key, session, sequence, outcome);
    return outcome;
  }

  private remember(key: string, existing: SessionWrites | undefined, sequence: number, outcome: Promise<Reply>): void {
    let session = existing;
    if (session === undefined) {
      session = { outcomes: new Map(), forgottenThrough: 0 };
      this.sessions.set(key, session);
      if (this.sessions.size > this.sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
    }
    session.outcomes.set(sequence, outcome);
    if (session.outcomes.size > this.writesPerSessionMax) {
      const oldest = session.outcomes.keys().next().value!;
      session.outcomes.delete(oldest);
      session.forgottenThrough = Math.max(session.forgottenThrough, oldest);
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The session, moved to the most recently used end. */
  private touch(key: string): SessionWrites | undefined {
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    this.sessions.delete(key);
    this.sessions.set(key, session);
    return session;
  }
}

/** The client waits for no write below `oldestPending` any more: it will never resend one. */
function forgetBelow(session: SessionWrites, oldestPending: number): void {
  if (oldestPending - 1 <= session.forgottenThrough) return;
  session.forgottenThrough = oldestPending - 1;
  // Outcomes are remembered as writes arrive, nearly always in increasing sequence order.
  for (const sequence of session.outcomes.keys()) {
    if (sequence >= oldestPending) break;
    session.outcomes.delete(sequence);
  }
}

function sessionKey(sessionId: Uint8Array): string {
  return Buffer.from(sessionId.buffer, sessionId.byteOffset, sessionId.length).toString("latin1");
}
