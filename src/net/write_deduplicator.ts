/**
 * Remembers the outcome of recent writes per client session, so a write resent with the same
 * (session id, sequence) after a lost reply returns the first outcome instead of applying
 * twice. Each write carries the oldest sequence its client still waits for: outcomes below it
 * are forgotten at once, so a session normally holds only its client's window. Also bounded
 * twice: sessions (least recently used forgotten first) and outcomes per session (oldest first). The table lives in memory: a restarted server has forgotten it, and
 * says so through a new server instance id in its ping reply.
 */
import { ChurnMap } from "../util/churn_map";
import type { Reply } from "./messages";
import { forgetOutcomesBelow, newSessionOutcomes, rememberOutcome, sessionKey, type SessionOutcomes } from "./session_outcomes";

type SessionWrites = SessionOutcomes<Promise<Reply>>;

type PriorOutcome = Promise<Reply> | "forgotten";

export class WriteDeduplicator {
  /** Every write moves its session to the end (delete and set): a ChurnMap. */
  private readonly sessions = new ChurnMap<string, SessionWrites>();

  constructor(private readonly sessionsMax: number, private readonly writesPerSessionMax: number) {}

  /**
   * The outcome of an earlier write with this identity, or "forgotten" when it may have been
   * applied but is no longer known; otherwise `apply()` runs and its outcome is remembered.
   */
  findOrApply(sessionId: Uint8Array, sequence: number, oldestPending: number, apply: () => Promise<Reply>): PriorOutcome | Promise<Reply> {
    const key = sessionKey(sessionId);
    const session = this.touch(key);
    if (session !== undefined) forgetOutcomesBelow(session, oldestPending);
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
      session = newSessionOutcomes();
      this.sessions.set(key, session);
      if (this.sessions.size > this.sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
    }
    rememberOutcome(session, sequence, outcome, this.writesPerSessionMax);
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
