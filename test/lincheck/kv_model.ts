/**
 * Sequential specification of a key-value register store for the linearizability checker:
 * get, put and compare-and-set (cas) on string values, where `null` means "absent" (the key
 * was never written; there is no delete). Histories are partitioned per key: linearizability
 * is local (Herlihy & Wing), a history is linearizable exactly when each key's sub-history is,
 * so each key is checked alone, which keeps the search small.
 *
 * A pending operation (output undefined) may have taken effect or not; the checker decides
 * where, or whether, to place it. Once placed, its effect is fixed by the state: a pending put
 * writes, a pending cas writes only if the current value equals `expected`, a pending get
 * changes nothing.
 */
import { assert } from "../../src/util/assert.ts";
import { HistoryError, type Model, type Operation } from "./checker.ts";

export type KvInput =
  | { kind: "get"; key: string }
  | { kind: "put"; key: string; value: string }
  | { kind: "cas"; key: string; expected: string | null; value: string };

export type KvOutput = { kind: "get"; value: string | null } | { kind: "put" } | { kind: "cas"; ok: boolean };

export type KvOperation = Operation<KvInput, KvOutput>;

/** The value of every written key. Never mutated: each write makes a new map. */
export type KvState = ReadonlyMap<string, string>;

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => new Map(),
  step: stepKv,
  partition: partitionByKey,
  key: keyOfState,
  describe: describeKv,
};

function stepKv(state: KvState, input: KvInput, output: KvOutput | undefined): { ok: boolean; state: KvState } {
  assert(output === undefined || output.kind === input.kind, "output kind differs from input kind");
  const current = state.get(input.key) ?? null;
  switch (input.kind) {
    case "get":
      return { ok: output === undefined || (output.kind === "get" && output.value === current), state };
    case "put":
      return { ok: true, state: withValue(state, input.key, input.value) };
    case "cas": {
      const swaps = current === input.expected;
      const ok = output === undefined || (output.kind === "cas" && output.ok === swaps);
      return { ok, state: swaps ? withValue(state, input.key, input.value) : state };
    }
  }
}

/** JSON of the entries in key order; per-key partitions make most states hold one entry. */
function keyOfState(state: KvState): string {
  if (state.size <= 1) return JSON.stringify([...state]);
  return JSON.stringify([...state].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

function withValue(state: KvState, key: string, value: string): KvState {
  const next = new Map(state);
  next.set(key, value);
  return next;
}

/**
 * One partition per key, in order of first appearance; also rejects mismatched outputs.
 * Pending gets are left out: with no reply they neither constrain the order nor change a value,
 * and each would only widen the search.
 */
function partitionByKey(history: KvOperation[]): KvOperation[][] {
  const byKey = new Map<string, KvOperation[]>();
  history.forEach((op, index) => {
    if (op.output !== undefined && op.output.kind !== op.input.kind) {
      throw new HistoryError(`operation ${index}: a ${op.input.kind} answered with a ${op.output.kind} reply`);
    }
    if (op.input.kind === "get" && op.output === undefined) return;
    const group = byKey.get(op.input.key);
    if (group === undefined) byKey.set(op.input.key, [op]);
    else group.push(op);
  });
  return [...byKey.values()];
}

export function describeKv(op: KvOperation): string {
  const { input, output } = op;
  const call =
    input.kind === "get"
      ? `get(${input.key})`
      : input.kind === "put"
        ? `put(${input.key}, ${JSON.stringify(input.value)})`
        : `cas(${input.key}, ${JSON.stringify(input.expected)} -> ${JSON.stringify(input.value)})`;
  const reply =
    output === undefined
      ? "pending"
      : output.kind === "get"
        ? JSON.stringify(output.value)
        : output.kind === "cas"
          ? String(output.ok)
          : "ok";
  return `client ${op.clientId} [${op.call}, ${op.return}] ${call} -> ${reply}`;
}
