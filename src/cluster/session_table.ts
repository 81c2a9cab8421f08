/**
 * Replicated write deduplication (Raft dissertation §6.3): the outcome of each client write
 * is remembered per (session id, sequence) inside the replicated state machine, so every
 * replica holds the same table and a write resent to a new leader after a failover is answered
 * with its first outcome instead of being applied again.
 *
 * Every change happens while applying a committed entry, in log order, so the table (including
 * which session is forgotten first) is the same on every replica. Each write carries the oldest
 * sequence its client still waits for (§6.3's "lowest sequence number without a response"):
 * outcomes below it are forgotten at once, so a session normally holds only its client's window.
 * It is also bounded twice: sessions (least recently written forgotten first) and outcomes per
 * session (oldest first), for clients that do not say. A write whose
 * outcome was forgotten, or was applied before a restart and is known only by its index, is
 * reported as such: the caller answers it with an error, never by applying it again.
 */
import { Encoder } from "@msgpack/msgpack";
import type { CommandResult } from "../engine/types.ts";
import { forgetOutcomesBelow, newSessionOutcomes, rememberOutcome, sessionKey, type SessionOutcomes } from "../net/session_outcomes.ts";
import { assert } from "../util/assert.ts";
import { ChurnMap } from "../util/churn_map.ts";
import { boundedDecoder } from "../util/bounded_decoder.ts";

/**
 * Sessions remembered; a client session forgotten here gets CONFLICT for a resend of a write
 * older than its forgetting. Ten thousand covers every client of a trading gateway.
 */
const sessionsMax = 10_000;
/**
 * Outcomes remembered per session: must cover the writes one client can have unanswered when
 * a leader fails (its pipelining window). Bounded so the table stays below ~1 GB worst case.
 */
const outcomesPerSessionMax = 1024;

/** The write was applied, but its outcome was lost (applied before a restart, see key_value_machine.ts). */
export const outcomeUnknown = "unknown" as const;

type RememberedOutcome = CommandResult | typeof outcomeUnknown;

type PriorWrite =
  | { kind: "new" }
  | { kind: "applied"; outcome: RememberedOutcome }
  /** Older than the oldest outcome kept for the session: it may have been applied. */
  | { kind: "forgotten" };

type Session = SessionOutcomes<RememberedOutcome>;

export class SessionTable {
  /** Every write moves its session to the end (delete and set): a ChurnMap. */
  private sessions = new ChurnMap<string, Session>();

  constructor(private readonly limits = { sessionsMax, outcomesPerSessionMax }) {}

  lookup(sessionId: Uint8Array, sequence: number): PriorWrite {
    const session = this.sessions.get(sessionKey(sessionId));
    if (session === undefined) return { kind: "new" };
    const outcome = session.outcomes.get(sequence);
    if (outcome !== undefined) return { kind: "applied", outcome };
    if (sequence <= session.forgottenThrough) return { kind: "forgotten" };
    return { kind: "new" };
  }

  remember(sessionId: Uint8Array, sequence: number, outcome: RememberedOutcome): void {
    assert(sequence > 0, "session write with sequence 0");
    const session = this.touch(sessionKey(sessionId));
    // Below the client's oldest pending write (forgetBelow ran first): it will never be resent.
    if (sequence <= session.forgottenThrough) return;
    rememberOutcome(session, sequence, outcome, this.limits.outcomesPerSessionMax);
  }

  /**
   * The client no longer waits for any write of this session below `oldestPending`: forgets
   * their outcomes (a late copy of one is then refused as forgotten, never applied).
   */
  forgetBelow(sessionId: Uint8Array, oldestPending: number): void {
    if (oldestPending <= 1) return;
    forgetOutcomesBelow(this.touch(sessionKey(sessionId)), oldestPending);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Outcomes remembered over all sessions. */
  get outcomeCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.outcomes.size;
    return count;
  }

  /** The session (created when new), moved to the most recently written end; the least recent one past the bound is forgotten. */
  private touch(key: string): Session {
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = newSessionOutcomes();
    } else {
      this.sessions.delete(key); // re-inserted below: the most recently written session goes last
    }
    this.sessions.set(key, session);
    if (this.sessions.size > this.limits.sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /** The whole table for a state-machine snapshot, in the order that decides what is forgotten next. */
  encode(): Uint8Array {
    const rows: unknown[] = [];
    for (const [key, session] of this.sessions) {
      rows.push([key, session.forgottenThrough, [...session.outcomes]]);
    }
    return new Encoder().encode(rows);
  }

  /**
   * The table `encode` wrote; bytes of another shape are refused with SessionTableFormatError
   * (they come inside a snapshot, whose codec turns that into its own refusal).
   */
  static decode(bytes: Uint8Array, limits?: { sessionsMax: number; outcomesPerSessionMax: number }): SessionTable {
    const table = new SessionTable(limits);
    let rows: unknown;
    try {
      rows = boundedDecoder(bytes.length).decode(bytes);
    } catch (error) {
      throw new SessionTableFormatError(`not msgpack (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!Array.isArray(rows)) throw new SessionTableFormatError("not an array of sessions");
    for (const row of rows as unknown[]) {
      const valid = Array.isArray(row) && row.length === 3 && typeof row[0] === "string";
      if (!valid) throw new SessionTableFormatError("bad session");
      const [key, forgottenThrough, outcomes] = row as [string, unknown, unknown];
      if (!isCount(forgottenThrough)) throw new SessionTableFormatError("bad forgotten sequence");
      table.sessions.set(key, { forgottenThrough, outcomes: new ChurnMap(decodeOutcomes(outcomes)) });
    }
    return table;
  }
}

/** Bytes that are not a session table as encode() writes it. */
export class SessionTableFormatError extends Error {
  override name = "SessionTableFormatError";
  constructor(reason: string) {
    super(`session table: ${reason}`);
  }
}

function decodeOutcomes(outcomes: unknown): Array<[number, RememberedOutcome]> {
  if (!Array.isArray(outcomes)) throw new SessionTableFormatError("outcomes are not an array");
  for (const pair of outcomes as unknown[]) {
    const valid = Array.isArray(pair) && pair.length === 2 && isCount(pair[0]) && pair[0] > 0 && isOutcome(pair[1]);
    if (!valid) throw new SessionTableFormatError("bad outcome");
  }
  return outcomes as Array<[number, RememberedOutcome]>;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** The shape of a remembered outcome: unknown, or a command's result (engine/types.ts). */
function isOutcome(value: unknown): boolean {
  if (value === outcomeUnknown) return true;
  if (typeof value !== "object" || value === null) return false;
  type Fields = { op: unknown; version: unknown; existed: unknown; succeeded: unknown; results: unknown[] };
  const result = value as Partial<Fields>;
  if (!isCount(result.version)) return false;
  switch (result.op) {
    case "put":
      return true;
    case "delete":
      return typeof result.existed === "boolean";
    case "cas":
      return typeof result.succeeded === "boolean";
    case "batch":
      return typeof result.succeeded === "boolean" && Array.isArray(result.results) && result.results.every(isOutcome);
    default:
      return false;
  }
}
