/**
 * Leader lease for reads without a heartbeat round (§6.4.1), under a stated bound on clock
 * drift. Why it is safe: a follower that answered a heartbeat the leader sent at leader
 * tick T heard from the leader at or after T, and with check-quorum it grants no vote for
 * an election timeout of its own ticks afterwards (roles.ts, §4.2.3). If no node's clock
 * runs more than clockDriftPercentMax faster than the leader's, no other leader can exist
 * before T + electionTimeoutTicks * 100 / (100 + drift) leader ticks, once a majority
 * answered rounds sent at or after T. One tick is taken off for tick granularity.
 *
 * What else the lease needs, enforced elsewhere: every voter runs with leaseReads on, so
 * a restarted node also waits an election timeout before voting (its lease memory is gone);
 * and a TimeoutNow, whose election overrides leases, ends lease reads for the term.
 */
import { majority } from "./quorum.ts";
import type { NodeId } from "./types.ts";

export function leaseDurationTicks(electionTimeoutTicks: number, clockDriftPercentMax: number): number {
  return Math.floor((electionTimeoutTicks * 100) / (100 + clockDriftPercentMax)) - 1;
}

export class LeaderLease {
  /** Leader ticks since it took office: the lease's clock. */
  private ticks = 0;
  private nextRound = 1;
  private readonly roundSentAt = new Map<number, number>();
  private readonly newestAckedRound = new Map<NodeId, number>();
  /** Set once a TimeoutNow went out: elections may now ignore leases, so none is trusted. */
  private revoked = false;

  constructor(private readonly durationTicks: number) {}

  tick(): void {
    this.ticks++;
  }

  /** A heartbeat round is being sent now; returns its number for the messages. */
  startRound(): number {
    // A round older than the lease can no longer start a valid one: forget it (bounded map).
    for (const [known, sentAt] of this.roundSentAt) if (sentAt + this.durationTicks <= this.ticks) this.roundSentAt.delete(known);
    const round = this.nextRound++;
    this.roundSentAt.set(round, this.ticks);
    return round;
  }

  acknowledge(from: NodeId, round: number): void {
    if (!this.roundSentAt.has(round)) return;
    this.newestAckedRound.set(from, Math.max(this.newestAckedRound.get(from) ?? 0, round));
  }

  revoke(): void {
    this.revoked = true;
  }

  /**
   * Forgets every round sent so far: a quiet leader stops ticking (quiescence.ts), so this lease's
   * clock stops too, and a round dated by it would look younger than it is. Reads are served from
   * a lease again once a majority answers a round sent after this.
   */
  forgetRounds(): void {
    this.roundSentAt.clear();
    this.newestAckedRound.clear();
  }

  /** Whether reads may be served locally right now, given the voters and this leader's id. */
  isValid(voters: NodeId[], self: NodeId): boolean {
    if (this.revoked || this.durationTicks <= 0) return false;
    const rounds = voters.map((voter) => (voter === self ? this.nextRound - 1 : (this.newestAckedRound.get(voter) ?? 0)));
    rounds.sort((left, right) => right - left);
    const quorumRound = rounds[majority(voters.length) - 1];
    const sentAt = this.roundSentAt.get(quorumRound);
    return sentAt !== undefined && this.ticks < sentAt + this.durationTicks;
  }

  /** Rounds remembered: at most those of the last lease duration. */
  roundsRemembered(): number {
    return this.roundSentAt.size;
  }
}
