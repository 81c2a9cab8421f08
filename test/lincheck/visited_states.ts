/**
 * The memo cache of the search: every (linearized set, model state) pair already reached, so
 * that no pair is explored twice (Lowe's improvement of Wing & Gong).
 *
 * Pending operations get one more rule, subsumption. Two search points with the same completed
 * operations linearized and the same model state differ only in which pending operations were
 * placed. The one with fewer placed can do everything the other can: pending operations never
 * have to be placed and never hold others back (their return is at infinity). So a point whose
 * placed-pending set contains a reached one's is redundant, and a point reached earlier becomes
 * redundant when a point with a subset is reached later (it is marked dead, and skipped if it
 * is still waiting to be explored). Without this rule a history with p pending operations can
 * have up to 2^p copies of each point, all explored in vain when the history is illegal.
 */
import type { Bitset } from "./bitset.ts";

/** One reached point; `live` turns false once a point with fewer pending placed subsumes it. */
export interface VisitRecord {
  pending: Bitset;
  live: boolean;
}

export class VisitedStates {
  /**
   * Completed set -> state -> the minimal placed-pending sets reached with both (usually one).
   * Two levels rather than one joined key: the completed set's key string is cached and reused,
   * so the outer lookup hashes it once, where a joined string would be built and hashed per visit.
   */
  private readonly recordsByCompleted = new Map<string, Map<string, VisitRecord[]>>();

  /** Record a newly reached point, or return undefined if a reached point subsumes it. */
  visit(completed: Bitset, pending: Bitset, stateKey: string): VisitRecord | undefined {
    const completedKey = completed.toKey();
    let recordsByState = this.recordsByCompleted.get(completedKey);
    if (recordsByState === undefined) {
      recordsByState = new Map();
      this.recordsByCompleted.set(completedKey, recordsByState);
    }
    const reached = recordsByState.get(stateKey);
    const record: VisitRecord = { pending, live: true };
    if (reached === undefined) {
      recordsByState.set(stateKey, [record]);
      return record;
    }
    if (reached.some((earlier) => earlier.pending.isSubsetOf(pending))) return undefined;
    const kept = reached.filter((earlier) => {
      if (pending.isSubsetOf(earlier.pending)) earlier.live = false;
      return earlier.live;
    });
    kept.push(record);
    recordsByState.set(stateKey, kept);
    return record;
  }
}
