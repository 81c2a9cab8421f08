/**
 * The search of one partition: Wing & Gong's backtracking over a linked list of call and
 * return events, with Lowe's cache of visited (linearized-set, model state) pairs (see
 * visited_states.ts, which also prunes redundant placements of pending operations). The head
 * comment of checker.ts explains the algorithm and its cost; this file is its mechanics.
 */
import { assert } from "../../src/util/assert.ts";
import type { Model, Operation } from "./checker.ts";
import { Bitset } from "./bitset.ts";
import { VisitedStates } from "./visited_states.ts";

/** Shared by all partitions of one check, so the budget covers the whole history. */
export interface SearchBudget {
  stepsLeft: number;
  deadlineMilliseconds: number;
}

export type PartitionOutcome =
  | { result: "ok" }
  | { result: "illegal"; longestPrefix: number[] }
  | { result: "unknown" };

/** Reading the clock each step would cost more than the step; once per this many steps is enough. */
const clockCheckIntervalSteps = 1024;

/** A call or return event in the doubly linked list; `head` is a sentinel with no operation. */
interface Event {
  operation: number;
  isCall: boolean;
  time: number;
  /** For a call event, its return event (lifted and restored together). */
  match: Event | undefined;
  previous: Event | undefined;
  next: Event | undefined;
}

/** A lifted operation, with the state from before it, to restore on backtrack. */
interface Frame<State> {
  call: Event;
  stateBefore: State;
}

export function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  operations: Operation<I, O>[],
  budget: SearchBudget,
): PartitionOutcome {
  const head = buildEventList(operations);
  const isPending = operations.map((op) => op.return === Infinity);
  // Placed operations, completed and pending apart: the cache treats them differently.
  const placed = { completed: new Bitset(operations.length), pending: new Bitset(operations.length) };
  const placedSet = (operation: number) => (isPending[operation] ? placed.pending : placed.completed);
  const visited = new VisitedStates();
  const stack: Frame<S>[] = [];
  let longestPrefix: number[] = [];
  let completedLeft = isPending.filter((pending) => !pending).length;
  let state = model.init();
  let event = head.next;
  // Each search point tries its completed candidates first, then its pending ones (see above).
  let pendingPass = false;
  let steps = 0;
  while (completedLeft > 0) {
    if (outOfBudget(budget, steps++)) return { result: "unknown" };
    assert(event !== undefined, "the walk ran off the event list with completed operations left");
    const operation = event.operation;
    if (event.isCall) {
      const op = operations[operation];
      const next = isPending[operation] === pendingPass ? model.step(state, op.input, op.output) : { ok: false, state };
      placedSet(operation).set(operation);
      const fresh = next.ok && visited.visit(placed.completed, placed.pending, model.key(next.state));
      if (!fresh) {
        placedSet(operation).clear(operation);
        event = event.next;
        continue;
      }
      stack.push({ call: event, stateBefore: state });
      if (!isPending[operation]) completedLeft -= 1;
      state = next.state;
      lift(event);
      if (stack.length > longestPrefix.length) longestPrefix = stack.map((frame) => frame.call.operation);
      event = head.next;
      pendingPass = false;
      continue;
    }
    // A return event: its operation had to be linearized by now and none of the candidates fit.
    assert(!isPending[operation], "a pending return was reached before all completed ones");
    if (!pendingPass) {
      pendingPass = true;
      event = head.next;
      continue;
    }
    const frame = stack.pop();
    if (frame === undefined) return { result: "illegal", longestPrefix };
    const undone = frame.call.operation;
    unlift(frame.call);
    placedSet(undone).clear(undone);
    if (!isPending[undone]) completedLeft += 1;
    state = frame.stateBefore;
    // Resume the pass the undone operation was found in, just after it.
    pendingPass = isPending[undone];
    event = frame.call.next;
  }
  return { result: "ok" };
}

function outOfBudget(budget: SearchBudget, steps: number): boolean {
  budget.stepsLeft -= 1;
  if (budget.stepsLeft < 0) return true;
  return steps % clockCheckIntervalSteps === 0 && performance.now() >= budget.deadlineMilliseconds;
}

/**
 * Events sorted by time; at equal times calls come before returns, so operations that merely
 * touch count as concurrent. Pending returns (Infinity) sort after every other event.
 */
function buildEventList<I, O>(operations: Operation<I, O>[]): Event {
  const events: Event[] = [];
  operations.forEach((op, index) => {
    const returnEvent: Event = { operation: index, isCall: false, time: op.return, match: undefined, previous: undefined, next: undefined };
    events.push({ operation: index, isCall: true, time: op.call, match: returnEvent, previous: undefined, next: undefined });
    events.push(returnEvent);
  });
  events.sort((left, right) => {
    if (left.time !== right.time) return left.time < right.time ? -1 : 1;
    return Number(right.isCall) - Number(left.isCall);
  });
  const head: Event = { operation: -1, isCall: false, time: -Infinity, match: undefined, previous: undefined, next: undefined };
  let last = head;
  for (const event of events) {
    last.next = event;
    event.previous = last;
    last = event;
  }
  return head;
}

/** Unlink a call event and its return event; a call always has its return after it. */
function lift(call: Event): void {
  const match = call.match;
  assert(match !== undefined && call.previous !== undefined && call.next !== undefined, "lift needs a linked call");
  call.previous.next = call.next;
  call.next.previous = call.previous;
  assert(match.previous !== undefined, "a return event always has an event before it");
  match.previous.next = match.next;
  if (match.next !== undefined) match.next.previous = match.previous;
}

/** Exact inverse of lift: the neighbours kept in the lifted events still point at their slots. */
function unlift(call: Event): void {
  const match = call.match;
  assert(match !== undefined && call.previous !== undefined && call.next !== undefined, "unlift needs a lifted call");
  assert(match.previous !== undefined, "a lifted return keeps its previous event");
  match.previous.next = match;
  if (match.next !== undefined) match.next.previous = match;
  call.previous.next = call;
  call.next.previous = call;
}
