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
 * Algorithm (per partition; search.ts, candidate_finder.ts, visited_states.ts): Wing & Gong's
 * search. From the empty prefix, repeatedly pick a candidate to linearize next (an operation
 * that no unplaced operation must precede in real time), let the model check it, and back up
 * when no candidate fits. The history is linearizable once every completed operation is placed.
 *
 * Memoization (Lowe, as in Porcupine): the future of the search depends only on WHICH operations
 * are placed so far (a bitset) and the model state they produced, not on their order, so each
 * (bitset, state) pair is explored once. Without it the search is exponential in the history
 * length (n! orders); with it, at most c operations concurrent at any time give about
 * n * 2^c * (distinct states) pairs, linear in n for the bounded concurrency of a test. The
 * problem is NP-complete, so no bound holds for every history: hence the budget below.
 * Pending operations would multiply the pairs by 2^p (any subset of them may have taken effect);
 * subsumption (a point with fewer pending placed covers one with more), a layered order that
 * reaches the smaller sets first, and interchangeable twins keep that in check.
 * Partitioning (per key for a key-value store) cuts n and c further, as independent keys never
 * need to be interleaved.
 *
 * Budget: `maxSteps` bounds the total search steps (one step = one candidate tried against the
 * model, summed over partitions) and `maxMilliseconds` optionally bounds wall time; when
 * either runs out the answer is "unknown", never a hang. The step budget is deterministic, so a
 * simulation seed replays to the same verdict; the time budget is not, and is off by default.
 *
 * Ties: an operation precedes another only if its return time is strictly before the other's
 * call time. Equal timestamps count as concurrent (the lenient reading: never a false alarm).
 *
 * Use (a key-value store, kv_model.ts; any other object needs only a Model):
 *
 *   const history: KvOperation[] = [];  // one entry per request, recorded by the client side
 *   history.push({ clientId: 1, input: { kind: "put", key: "a", value: "v1" }, output: { kind: "put" }, call: 3, return: 9 });
 *   history.push({ clientId: 2, input: { kind: "get", key: "a" }, output: undefined, call: 5, return: Infinity });
 *   const verdict = checkLinearizable(kvModel, history, { maxSteps: 2_000_000 });
 *   if (verdict.result !== "ok") throw new Error(verdict.message);  // illegal: a bug; unknown: budget
 *
 * Record the call time when the request leaves the client and the return time when its reply
 * arrives, both on one clock; give every write a unique value (a repeated value lets a stale
 * read pass as a fresh one, and twin pending writes widen the search); keep a request that
 * timed out or whose node crashed as pending rather than dropping it (it may have taken effect).
 * "illegal" carries the longest legal order found and the operations that could not follow it.
 * A malformed history (reply before call, a reply with return Infinity) throws HistoryError.
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

/**
 * Default step budget. Histories of 1,000 operations from 5 clients were measured to need 3k-40k
 * steps, 150k when illegal with 10% pending. A step may keep one search point (two bitsets and a
 * cache entry), so this also caps memory: 1M steps that each kept a point of a 1,000-operation
 * partition measured ~600 MB resident and ~6 s on a loaded 2-core machine.
 */
export const checkStepsMaxDefault = 1_000_000;

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
  const firstReturn = rest.reduce((earliest, op) => Math.min(earliest, op.return), Infinity);
  const candidates = rest.filter((op) => op.call <= firstReturn).slice(0, messageOperationsMax);
  const tail = prefix.slice(-messageOperationsMax).map(describe);
  return [
    `not linearizable: ${prefix.length} of ${partition.length} operations linearized, then no candidate is legal`,
    `last linearized: ${tail.length === 0 ? "(none)" : tail.join("; ")}`,
    `candidates: ${candidates.map(describe).join("; ")}`,
  ].join("\n");
}
