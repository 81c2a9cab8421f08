/**
 * The memo cache of the search: every (linearized set, model state) pair already explored,
 * so that no pair is explored twice (Lowe's improvement of Wing & Gong).
 *
 * Pending operations get one more rule, subsumption. Two search points with the same completed
 * operations linearized and the same model state differ only in which pending operations were
 * placed. The one with fewer placed can do everything the other can: pending operations never
 * have to be placed and never hold others back (their return is at infinity). So a point whose
 * placed pending set is a superset of an explored one's is explored already. Without this rule a
 * history with p pending operations can have 2^p copies of each point, all of them dead ends.
 */
import type { Bitset } from "./bitset.ts";

export class VisitedStates {
  /** Completed set + state -> the placed-pending sets explored with it (usually one, often empty). */
  private readonly pendingSetsByPoint = new Map<string, Uint16Array[]>();

  /** Record the point and return true, or return false if it, or a point subsuming it, was explored. */
  visit(completed: Bitset, pending: Bitset, stateKey: string): boolean {
    const point = `${completed.toKey()}\u0000${stateKey}`;
    const explored = this.pendingSetsByPoint.get(point);
    if (explored === undefined) {
      this.pendingSetsByPoint.set(point, [pending.copyWords()]);
      return true;
    }
    if (explored.some((words) => pending.containsWords(words))) return false;
    explored.push(pending.copyWords());
    return true;
  }
}
