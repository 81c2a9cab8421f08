/**
 * Which operations may be linearized next from a search point. Operation X may go next when no
 * unplaced completed operation Y must precede it, i.e. no Y returned before X was called: X's
 * call is at or before the earliest return among unplaced completed operations (equal times
 * count as concurrent). Pending operations never returned, so they never hold others back.
 *
 * Twins: pending operations with equal inputs are interchangeable (no reply to match, no return
 * to respect), so only the earliest-called unplaced one of each group is offered. Whatever a
 * linearization does with a later twin, it can do with the earlier one, which was available
 * at least as soon. Without this, k equal pending writes would be tried in k! orders.
 */
import type { Operation } from "./checker.ts";
import type { Bitset } from "./bitset.ts";

/** How far the placed prefix of each sorted order reaches; only ever moves forward. */
export interface Cursors {
  byCall: number;
  byReturn: number;
}

export class CandidateFinder<I, O> {
  readonly completedCount: number;
  private readonly completedByCall: number[];
  private readonly completedByReturn: number[];
  private readonly pendingByCall: number[];
  /** For each pending operation, the previous pending one with an equal input, or -1. */
  private readonly twinBefore: Map<number, number>;

  constructor(private readonly operations: Operation<I, O>[]) {
    const indexes = operations.map((_, index) => index);
    const byCall = [...indexes].sort((left, right) => operations[left].call - operations[right].call);
    const isPending = (index: number) => operations[index].return === Infinity;
    this.completedByCall = byCall.filter((index) => !isPending(index));
    this.completedByReturn = indexes.filter((index) => !isPending(index));
    this.completedByReturn.sort((left, right) => operations[left].return - operations[right].return);
    this.pendingByCall = byCall.filter(isPending);
    this.completedCount = this.completedByCall.length;
    this.twinBefore = findTwins(operations, this.pendingByCall);
  }

  /** The cursors of a point whose completed set is `completed`, moved on from its parent's. */
  advance(completed: Bitset, cursors: Cursors): Cursors {
    let { byCall, byReturn } = cursors;
    while (byCall < this.completedCount && completed.has(this.completedByCall[byCall])) byCall += 1;
    while (byReturn < this.completedCount && completed.has(this.completedByReturn[byReturn])) byReturn += 1;
    return { byCall, byReturn };
  }

  /** Candidates in order of call time: completed ones first, then pending ones. */
  candidates(completed: Bitset, pending: Bitset, cursors: Cursors): number[] {
    const earliestReturn =
      cursors.byReturn < this.completedCount ? this.operations[this.completedByReturn[cursors.byReturn]].return : Infinity;
    const found: number[] = [];
    for (let position = cursors.byCall; position < this.completedCount; position += 1) {
      const index = this.completedByCall[position];
      if (this.operations[index].call > earliestReturn) break;
      if (!completed.has(index)) found.push(index);
    }
    for (const index of this.pendingByCall) {
      if (this.operations[index].call > earliestReturn) break;
      const twin = this.twinBefore.get(index) ?? -1;
      if (!pending.has(index) && (twin < 0 || pending.has(twin))) found.push(index);
    }
    return found;
  }
}

/** Pending operations grouped by input (as JSON; inputs JSON cannot encode are never twins). */
function findTwins<I, O>(operations: Operation<I, O>[], pendingByCall: number[]): Map<number, number> {
  const lastByInput = new Map<string, number>();
  const twinBefore = new Map<number, number>();
  for (const index of pendingByCall) {
    let inputKey: string | undefined;
    try {
      inputKey = JSON.stringify(operations[index].input);
    } catch {
      inputKey = undefined;
    }
    if (inputKey === undefined) continue;
    const previous = lastByInput.get(inputKey);
    if (previous !== undefined) twinBefore.set(index, previous);
    lastByInput.set(inputKey, index);
  }
  return twinBefore;
}
