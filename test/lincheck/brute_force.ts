/**
 * Test helper: the definition of linearizability, checked by trying every order. Exponential,
 * so only for tiny histories; it shares no code with the checker or the model (it replays
 * orders on applySequential), so the two can be compared.
 */
import { applySequential } from "./history_generator.ts";
import type { KvOperation } from "./kv_model.ts";

/** Beyond this many operations the factorial search takes too long for a unit test. */
export const bruteForceOperationsMax = 8;

export function bruteForceLinearizable(history: KvOperation[]): boolean {
  if (history.length > bruteForceOperationsMax) throw new Error(`brute force takes at most ${bruteForceOperationsMax} operations`);
  return placeNext(history, new Set(), []);
}

/** Depth-first over orders: each step places an operation that no unplaced one must precede. */
function placeNext(history: KvOperation[], placed: Set<number>, order: KvOperation[]): boolean {
  const completedLeft = history.some((op, index) => !placed.has(index) && op.output !== undefined);
  if (!completedLeft && replays(order)) return true;
  for (const [index, op] of history.entries()) {
    if (placed.has(index)) continue;
    const mustWait = history.some((other, otherIndex) => !placed.has(otherIndex) && other.return < op.call);
    if (mustWait) continue;
    placed.add(index);
    order.push(op);
    const found = replays(order) && placeNext(history, placed, order);
    order.pop();
    placed.delete(index);
    if (found) return true;
  }
  return false;
}

/** Whether executing `order` sequentially gives every completed operation its recorded reply. */
function replays(order: KvOperation[]): boolean {
  const store = new Map<string, string>();
  return order.every((op) => {
    const output = applySequential(store, op.input);
    return op.output === undefined || JSON.stringify(output) === JSON.stringify(op.output);
  });
}
