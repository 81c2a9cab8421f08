/**
 * The linearizability checker: known legal and illegal histories, malformed histories, the step
 * budget, other models, agreement with a brute force on generated histories, and a large history.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { bruteForceLinearizable, bruteForceOperationsMax } from "./brute_force.ts";
import { type CheckResult, checkLinearizable, HistoryError, type Model } from "./checker.ts";
import { buildHistory, type HistoryShape, operationSpecArbitrary, valueName } from "./history_generator.ts";
import { type KvInput, type KvOperation, type KvOutput, type KvState, kvModel } from "./kv_model.ts";

/** A completed put of `value` to key `key` by `clientId` over [call, ret]; `ret` omitted = pending. */
function put(clientId: number, key: string, value: string, call: number, ret?: number): KvOperation {
  const input = { kind: "put" as const, key, value };
  return ret === undefined
    ? { clientId, input, output: undefined, call, return: Infinity }
    : { clientId, input, output: { kind: "put" }, call, return: ret };
}

function get(clientId: number, key: string, value: string | null, call: number, ret: number): KvOperation {
  return { clientId, input: { kind: "get", key }, output: { kind: "get", value }, call, return: ret };
}

/** A compare-and-set; `reply` undefined = pending (no reply, return Infinity). */
function cas(clientId: number, key: string, expected: string | null, value: string, call: number, reply?: { ok: boolean; ret: number }): KvOperation {
  const input = { kind: "cas" as const, key, expected, value };
  return reply === undefined
    ? { clientId, input, output: undefined, call, return: Infinity }
    : { clientId, input, output: { kind: "cas", ok: reply.ok }, call, return: reply.ret };
}

function verdict(history: KvOperation[]): CheckResult["result"] {
  return checkLinearizable(kvModel, history).result;
}

describe("known histories", () => {
  test("an empty history, and one of only pending operations, are linearizable", () => {
    expect(verdict([])).toBe("ok");
    expect(verdict([put(1, "x", "a", 0), cas(2, "x", null, "b", 3)])).toBe("ok");
  });

  test("a stale read after a completed write is illegal, and the stuck point is reported", () => {
    const history = [put(1, "x", "a", 0, 10), put(1, "x", "b", 20, 30), get(2, "x", "a", 40, 50)];
    const result = checkLinearizable(kvModel, history);
    expect(result.result).toBe("illegal");
    if (result.result !== "illegal") return;
    expect(result.partialLinearization).toEqual([history[0], history[1]]);
    expect(result.message).toContain('get(x) -> "a"');
  });

  test("a lost write (acknowledged, then never visible) is illegal", () => {
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", null, 20, 30)])).toBe("illegal");
  });

  test("a cas that succeeds twice from the same expected value is illegal", () => {
    const base = put(1, "x", "0", 0, 5);
    expect(verdict([base, cas(1, "x", "0", "1", 10, { ok: true, ret: 20 }), cas(2, "x", "0", "2", 12, { ok: true, ret: 22 })])).toBe("illegal");
    expect(verdict([base, cas(1, "x", "0", "1", 10, { ok: true, ret: 20 }), cas(2, "x", "0", "2", 12, { ok: false, ret: 22 })])).toBe("ok");
  });

  test("a cas that fails although nothing else could have changed the value is illegal", () => {
    expect(verdict([put(1, "x", "0", 0, 5), cas(2, "x", "0", "1", 10, { ok: false, ret: 20 })])).toBe("illegal");
    expect(verdict([cas(2, "x", null, "1", 0, { ok: false, ret: 20 })])).toBe("illegal");
    expect(verdict([cas(2, "x", null, "1", 0, { ok: true, ret: 20 }), get(1, "x", "1", 30, 40)])).toBe("ok");
  });

  test("a read of a value never written is illegal", () => {
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", "z", 5, 15)])).toBe("illegal");
  });

  test("overlapping operations may take effect in either order", () => {
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", null, 5, 15)])).toBe("ok");
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", "a", 5, 15)])).toBe("ok");
    const writes = [put(1, "x", "a", 0, 10), put(2, "x", "b", 5, 15)];
    expect(verdict([...writes, get(3, "x", "a", 20, 30)])).toBe("ok");
    expect(verdict([...writes, get(3, "x", "b", 20, 30)])).toBe("ok");
  });

  test("operations that only touch in time count as concurrent", () => {
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", null, 10, 20)])).toBe("ok");
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "x", null, 11, 20)])).toBe("illegal");
  });

  test("a new value then the old one, during one slow write, is illegal", () => {
    const history = [put(1, "x", "a", 0, 100), get(2, "x", "a", 10, 20), get(3, "x", null, 30, 40)];
    expect(verdict(history)).toBe("illegal");
  });
});

describe("known histories: pending operations and keys", () => {
  test("a pending write may take effect, late, or never", () => {
    const pending = put(1, "x", "a", 0);
    expect(verdict([pending, get(2, "x", "a", 10, 20)])).toBe("ok");
    expect(verdict([pending, get(2, "x", null, 10, 20)])).toBe("ok");
    expect(verdict([pending, get(2, "x", null, 10, 20), get(2, "x", "a", 30, 40)])).toBe("ok");
    expect(verdict([pending, get(2, "x", "a", 10, 20), get(2, "x", null, 30, 40)])).toBe("illegal");
  });

  test("a pending write cannot take effect before it was called", () => {
    expect(verdict([get(2, "x", "a", 0, 10), put(1, "x", "a", 20)])).toBe("illegal");
  });

  test("a pending cas takes effect only if its expected value matched", () => {
    const base = put(1, "x", "0", 0, 5);
    expect(verdict([base, cas(1, "x", "0", "1", 10), get(2, "x", "1", 20, 30)])).toBe("ok");
    expect(verdict([base, cas(1, "x", "9", "1", 10), get(2, "x", "1", 20, 30)])).toBe("illegal");
  });

  test("keys are independent: a write to one key is never read from another", () => {
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "y", null, 20, 30)])).toBe("ok");
    expect(verdict([put(1, "x", "a", 0, 10), get(2, "y", "a", 20, 30)])).toBe("illegal");
  });
});

describe("malformed histories", () => {
  test("a reply before its call is a HistoryError", () => {
    expect(() => verdict([put(1, "x", "a", 10, 5)])).toThrow(HistoryError);
  });

  test("a reply without a return time, or a return time without a reply, is a HistoryError", () => {
    const withoutReturn: KvOperation = { ...put(1, "x", "a", 0, 10), return: Infinity };
    const withoutReply: KvOperation = { ...put(1, "x", "a", 0, 10), output: undefined };
    expect(() => verdict([withoutReturn])).toThrow(HistoryError);
    expect(() => verdict([withoutReply])).toThrow(HistoryError);
  });

  test("a reply of the wrong kind is a HistoryError", () => {
    const mismatched: KvOperation = { ...get(1, "x", null, 0, 10), output: { kind: "put" } };
    expect(() => verdict([mismatched])).toThrow(HistoryError);
  });
});

/** An illegal history whose search has many orders to try: many concurrent writes, then a value never written. */
function manyConcurrentWritesThenBadRead(writers: number): KvOperation[] {
  const writes = Array.from({ length: writers }, (_, index) => put(index, "x", `w${index}`, 0, 100));
  return [...writes, get(writers, "x", "never", 200, 210)];
}

describe("budget", () => {
  test("running out of steps answers unknown instead of searching on", () => {
    const history = manyConcurrentWritesThenBadRead(10);
    const result = checkLinearizable(kvModel, history, { maxSteps: 50 });
    expect(result.result).toBe("unknown");
    if (result.result === "unknown") expect(result.message).toContain("step budget");
    expect(checkLinearizable(kvModel, history).result).toBe("illegal");
  });

  test("running out of time answers unknown", () => {
    const result = checkLinearizable(kvModel, manyConcurrentWritesThenBadRead(10), { maxMilliseconds: 0 });
    expect(result).toEqual({ result: "unknown", message: expect.stringContaining("time budget") });
  });
});

/** A model with no partition function and a numeric state: the checker is not tied to the key-value model. */
const counterModel: Model<number, "increment" | "read", number | null> = {
  init: () => 0,
  step: (state, input, output) =>
    input === "increment" ? { ok: true, state: state + 1 } : { ok: output === undefined || output === state, state },
  key: (state) => String(state),
};

test("other models: a counter read must count every increment that finished before it", () => {
  const increment = (call: number, ret: number) => ({ clientId: 1, input: "increment" as const, output: null, call, return: ret });
  const read = (value: number, call: number, ret: number) => ({ clientId: 2, input: "read" as const, output: value, call, return: ret });
  expect(checkLinearizable(counterModel, [increment(0, 10), increment(5, 15), read(1, 12, 20)]).result).toBe("ok");
  expect(checkLinearizable(counterModel, [increment(0, 10), increment(5, 15), read(1, 16, 20)]).result).toBe("illegal");
});

describe("generated histories", () => {
  const tinyShape: HistoryShape = { clients: 3, keys: 2, values: 3, pendingPercent: 20 };
  const tinySpecs = fc.array(operationSpecArbitrary(tinyShape), { minLength: 1, maxLength: bruteForceOperationsMax - 1 });

  test("a real execution with random overlaps is linearizable (checker and brute force agree)", () => {
    fc.assert(
      fc.property(tinySpecs, (specs) => {
        const history = buildHistory(specs);
        expect(bruteForceLinearizable(history)).toBe(true);
        expect(verdict(history)).toBe("ok");
      }),
      { numRuns: 300 },
    );
  });

  test("a mutated read result is illegal exactly when the brute force says so", () => {
    const mutation = fc.record({ readChoice: fc.nat(), valueIndex: fc.integer({ min: -1, max: tinyShape.values }) });
    let illegalSeen = 0;
    fc.assert(
      fc.property(tinySpecs, mutation, (specs, { readChoice, valueIndex }) => {
        const history = buildHistory(specs);
        const reads = history.filter((op) => op.input.kind === "get" && op.output !== undefined);
        fc.pre(reads.length > 0);
        const read = reads[readChoice % reads.length];
        read.output = { kind: "get", value: valueIndex < 0 ? null : valueName(valueIndex) };
        const expected = bruteForceLinearizable(history) ? "ok" : "illegal";
        if (expected === "illegal") illegalSeen += 1;
        expect(verdict(history)).toBe(expected);
      }),
      { numRuns: 400 },
    );
    // The comparison means little unless mutations often break the history.
    expect(illegalSeen).toBeGreaterThan(50);
  });

  test("mid-sized histories: valid ones pass, a read of a never-written value fails", () => {
    const shape: HistoryShape = { clients: 4, keys: 2, values: 4, pendingPercent: 10 };
    fc.assert(
      fc.property(fc.array(operationSpecArbitrary(shape), { minLength: 20, maxLength: 80 }), fc.nat(), (specs, readChoice) => {
        const history = buildHistory(specs);
        expect(verdict(history)).toBe("ok");
        const reads = history.filter((op) => op.input.kind === "get" && op.output !== undefined);
        fc.pre(reads.length > 0);
        reads[readChoice % reads.length].output = { kind: "get", value: "never-written" };
        expect(verdict(history)).toBe("illegal");
      }),
      { numRuns: 40 },
    );
  });
});

describe("large history", () => {
  const clients = 5;
  const operationsPerClient = 200;
  /** A few times what these histories were measured to need (3k to 40k steps), far below an unmemoized search. */
  const stepsBudget = 200_000;
  /** The history with 10% pending operations, illegal, measured ~150k steps. */
  const pendingHeavyStepsBudget = 600_000;

  function largeHistory(pendingPercent: number): KvOperation[] {
    const shape: HistoryShape = { clients, keys: 3, values: 4, pendingPercent };
    const length = clients * operationsPerClient;
    const [specs] = fc.sample(fc.array(operationSpecArbitrary(shape), { minLength: length, maxLength: length }), { seed: 20240611, numRuns: 1 });
    return buildHistory(specs.map((spec, index) => ({ ...spec, clientId: index % clients })));
  }

  /** Make a completed read half-way through return a value no one wrote. */
  function withNeverWrittenRead(history: KvOperation[]): KvOperation[] {
    const middle = history[history.length - 1].call / 2;
    const read = history.find((op) => op.input.kind === "get" && op.output !== undefined && op.call > middle);
    if (read === undefined) throw new Error("the generated history has no completed read after its middle");
    read.output = { kind: "get", value: "never-written" };
    return history;
  }

  /** Append two writes and a read that returns the first of them: stale once the second completed. */
  function withStaleReadAtEnd(history: KvOperation[]): KvOperation[] {
    const end = Math.max(...history.map((op) => (op.return === Infinity ? op.call : op.return)));
    return [...history, put(9, "k0", "fresh", end + 1, end + 2), put(9, "k0", "fresher", end + 3, end + 4), get(9, "k0", "fresh", end + 5, end + 6)];
  }

  test("5 clients x 200 operations on 3 keys: ok within the step budget", () => {
    expect(checkLinearizable(kvModel, largeHistory(2), { maxSteps: stepsBudget })).toEqual({ result: "ok" });
  });

  test("a read of a never-written value half-way through: illegal within the step budget", () => {
    const result = checkLinearizable(kvModel, withNeverWrittenRead(largeHistory(2)), { maxSteps: stepsBudget });
    expect(result.result).toBe("illegal");
  });

  test("a stale read at the end (every order of the rest must be ruled out): illegal within the step budget", () => {
    const result = checkLinearizable(kvModel, withStaleReadAtEnd(largeHistory(2)), { maxSteps: stepsBudget });
    expect(result.result).toBe("illegal");
  });

  test("memoization is what keeps it within budget: forgetting explored points runs out", () => {
    const history = withStaleReadAtEnd(largeHistory(2));
    const budget = { maxSteps: 50_000 };
    expect(checkLinearizable(kvModel, history, budget).result).toBe("illegal");
    let stateCount = 0;
    // Every state looks new, so no point is ever recognised as explored.
    const forgetful: Model<KvState, KvInput, KvOutput> = { ...kvModel, key: () => String(stateCount++) };
    expect(checkLinearizable(forgetful, history, budget).result).toBe("unknown");
  });

  test("10% of operations pending, stale read at the end: illegal within a budget", () => {
    const history = withStaleReadAtEnd(largeHistory(10));
    expect(history.filter((op) => op.output === undefined).length).toBeGreaterThan(50);
    expect(checkLinearizable(kvModel, history, { maxSteps: pendingHeavyStepsBudget }).result).toBe("illegal");
  });
});
