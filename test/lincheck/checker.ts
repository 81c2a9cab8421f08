/**
 * Linearizability checker for histories of concurrent operations (Wing & Gong's search with
 * Lowe's memoization, as in Porcupine). Used by the Raft simulation (test/sim/) and by
 * real-process cluster tests: they record every client operation with the logical time it was
 * called and the time its reply arrived, and ask whether some total order of the operations
 * (1) respects real time (an operation that returned before another was called comes first),
 * and (2) is a legal sequential execution of the model.
 *
 * Pending operations (a request whose reply never came: timeout, crashed node) have
 * `output: undefined` and `return: Infinity`. They may take effect at any time after their call,
 * or never: the search may linearize them anywhere after their call, and succeeds as soon as
 * every completed operation is linearized, leaving the rest of the pending ones out.
 *
 * Algorithm (per partition, see search.ts): the call and return events are sorted into one
 * doubly linked list. Walking it from the head, a call event is a candidate to linearize next;
 * if the model accepts it, the operation is "lifted" out of the list (both events) and the walk
 * restarts at the head. Reaching a return event means the operation it closes had to be
 * linearized before everything after it, and none of the candidates worked: backtrack by
 * popping the last lifted operation and trying the candidate after it.
 *
 * Complexity: the plain search is exponential (the problem is NP-complete). Memoization is
 * what makes it usable: the future of the search depends only on WHICH operations are
 * linearized so far (a bitset) and the model state they produced, not on their order, so each
 * (bitset, state) pair is explored once. With at most c operations concurrent at any time the
 * reachable pairs are about n * 2^c * (distinct states), i.e. linear in the history length for
 * the bounded concurrency of a test (a handful of clients). Partitioning (per key for a
 * key-value store) cuts n and c further, as independent keys never need to be interleaved.
 *
 * Budget: `maxSteps` bounds the total search steps (one step = one candidate tried or one
 * backtrack, summed over partitions) and `maxMilliseconds` optionally bounds wall time; when
 * either runs out the answer is "unknown", never a hang. The step budget is deterministic, so a
 * simulation seed replays to the same verdict; the time budget is not, and is off by default.
 *
 * Ties: an operation precedes another only if its return time is strictly before the other's
 * call time. Equal timestamps count as concurrent (the lenient reading: never a false alarm).
 */
import { searchPartition } from "./search.ts";

export interface Operation<Input, Output> {
  clientId: number;
  input: Input;
  /** The reply; undefined for a pending operation (no reply seen). */
  output: Output | undefined;
  /** Logical time the request was sent (ticks or ns). */
  call: number;
  /** Logical time the reply arrived; Infinity for a pending operation. */
  return: number;
}

/**
 * A sequential specification. `step` must not mutate `state`: the search keeps earlier states
 * to backtrack to. `key` must map equal states (and only those) to equal strings.
 */
export interface Model<State, Input, Output> {
  init(): State;
  /** Whether `input` may produce `output` from `state`; output undefined = pending (any reply). */
  step(state: State, input: Input, output: Output | undefined): { ok: boolean; state: State };
  /** Split the history into independent parts checked separately (e.g. one per key). */
  partition?(history: Operation<Input, Output>[]): Operation<Input, Output>[][];
  key(state: State): string;
  describe?(op: Operation<Input, Output>): string;
}

export type CheckResult<Input = unknown, Output = unknown> =
  | { result: "ok" }
  | {
      result: "illegal";
      /** The longest legal order found for the failing partition: the spot the search got stuck. */
      partialLinearization?: Operation<Input, Output>[];
      message: string;
    }
  | { result: "unknown"; message: string };

export interface CheckOptions {
  /** Total search steps over all partitions before answering "unknown". */
  maxSteps?: number;
  /** Wall-time budget before answering "unknown"; none by default (keeps verdicts replayable). */
  maxMilliseconds?: number;
}

/** Default step budget: histories of thousands of operations at test concurrency need far fewer. */
export const checkStepsMaxDefault = 10_000_000;

/** How many operations the failure message names, so a huge history gives a readable message. */
const messageOperationsMax = 12;

/** A malformed history (e.g. a reply before its call): a fault of the recorder, not of the system. */
export class HistoryError extends Error {
  override name = "HistoryError";
}

export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  history.forEach(validateOperation);
  const partitions = model.partition ? model.partition(history) : [history];
  // Smallest first: a violation in a small partition is found before a big one eats the budget.
  const ordered = [...partitions].sort((left, right) => left.length - right.length);
  const budget = {
    stepsLeft: options.maxSteps ?? checkStepsMaxDefault,
    deadlineMilliseconds: options.maxMilliseconds === undefined ? Infinity : performance.now() + options.maxMilliseconds,
  };
  for (const [index, partition] of ordered.entries()) {
    const outcome = searchPartition(model, partition, budget);
    if (outcome.result === "illegal") {
      const prefix = outcome.longestPrefix.map((position) => partition[position]);
      return { result: "illegal", partialLinearization: prefix, message: illegalMessage(model, partition, prefix) };
    }
    if (outcome.result === "unknown") {
      const reason = budget.stepsLeft <= 0 ? "step budget" : "time budget";
      return {
        result: "unknown",
        message: `${reason} exhausted in partition ${index + 1} of ${ordered.length} (${partition.length} operations)`,
      };
    }
  }
  return { result: "ok" };
}

function validateOperation<I, O>(op: Operation<I, O>, index: number): void {
  const where = `operation ${index} (client ${op.clientId})`;
  if (!Number.isFinite(op.call)) throw new HistoryError(`${where}: call time ${op.call} is not a finite number`);
  if (Number.isNaN(op.return)) throw new HistoryError(`${where}: return time is NaN`);
  if (op.return < op.call) throw new HistoryError(`${where}: returns at ${op.return} before its call at ${op.call}`);
  const pending = op.return === Infinity;
  if (pending !== (op.output === undefined)) {
    throw new HistoryError(`${where}: a pending operation needs both output undefined and return Infinity`);
  }
}

function illegalMessage<S, I, O>(model: Model<S, I, O>, partition: Operation<I, O>[], prefix: Operation<I, O>[]): string {
  const describe = (op: Operation<I, O>) => (model.describe ? model.describe(op) : JSON.stringify(op));
  const linearized = new Set(prefix);
  const rest = partition.filter((op) => !linearized.has(op));
  // The candidates at the stuck point: operations called before the earliest remaining reply.
  const firstReturn = Math.min(...rest.map((op) => op.return));
  const candidates = rest.filter((op) => op.call <= firstReturn).slice(0, messageOperationsMax);
  const tail = prefix.slice(-messageOperationsMax).map(describe);
  return [
    `not linearizable: ${prefix.length} of ${partition.length} operations linearized, then no candidate is legal`,
    `last linearized: ${tail.length === 0 ? "(none)" : tail.join("; ")}`,
    `candidates: ${candidates.map(describe).join("; ")}`,
  ].join("\n");
}
