/**
 * Test helper: histories that are linearizable by construction. Each operation gets a real
 * interval [call, return] on its client's timeline and a linearization point inside it; the
 * operations are then executed one by one, in order of their points, against a plain Map, and
 * each records the reply it got. Pending operations (no reply) either took effect at some point
 * after their call (possibly after later operations of the same client, like a request that
 * timed out yet was still applied) or never did.
 *
 * Shapes come from fast-check arbitraries, so a failing case shrinks and replays from its seed.
 */
import fc from "fast-check";
import type { KvInput, KvOperation, KvOutput } from "./kv_model.ts";

export interface OperationSpec {
  clientId: number;
  kind: "get" | "put" | "cas";
  keyIndex: number;
  valueIndex: number;
  /** Index into the value pool for a cas's expected value; -1 means null (key absent). */
  expectedIndex: number;
  /** Idle time of the client before the call, in ticks. */
  delayTicks: number;
  durationTicks: number;
  /** Where in its interval the operation takes effect, in percent. */
  pointPercent: number;
  pending: boolean;
  pendingTakesEffect: boolean;
}

export interface HistoryShape {
  clients: number;
  keys: number;
  /** A small pool makes values repeat, the hard case for a checker (ambiguous reads). */
  values: number;
  /** Share of operations left without a reply, in percent. */
  pendingPercent: number;
}

/** Longest idle gap and operation duration, in ticks: enough for rich overlap among clients. */
const delayTicksMax = 5;
const durationTicksMax = 12;

/** How far past its call a pending operation may still take effect, in durations. */
const pendingReachDurations = 4;

export function operationSpecArbitrary(shape: HistoryShape): fc.Arbitrary<OperationSpec> {
  return fc.record({
    clientId: fc.integer({ min: 0, max: shape.clients - 1 }),
    kind: fc.constantFrom("get" as const, "put" as const, "cas" as const),
    keyIndex: fc.integer({ min: 0, max: shape.keys - 1 }),
    valueIndex: fc.integer({ min: 0, max: shape.values - 1 }),
    expectedIndex: fc.integer({ min: -1, max: shape.values - 1 }),
    delayTicks: fc.integer({ min: 0, max: delayTicksMax }),
    durationTicks: fc.integer({ min: 0, max: durationTicksMax }),
    pointPercent: fc.integer({ min: 0, max: 100 }),
    pending: fc.noBias(fc.integer({ min: 0, max: 99 })).map((roll) => roll < shape.pendingPercent),
    pendingTakesEffect: fc.boolean(),
  });
}

export function valueName(index: number): string {
  return `v${index}`;
}

/** The reference store: what a correct single-node execution of `input` replies. */
export function applySequential(store: Map<string, string>, input: KvInput): KvOutput {
  const current = store.get(input.key) ?? null;
  if (input.kind === "get") return { kind: "get", value: current };
  if (input.kind === "put") {
    store.set(input.key, input.value);
    return { kind: "put" };
  }
  if (current !== input.expected) return { kind: "cas", ok: false };
  store.set(input.key, input.value);
  return { kind: "cas", ok: true };
}

export function buildHistory(specs: OperationSpec[]): KvOperation[] {
  const clientFreeAt = new Map<number, number>();
  const timed = specs.map((spec) => {
    const call = (clientFreeAt.get(spec.clientId) ?? 0) + spec.delayTicks;
    const end = call + spec.durationTicks;
    // The client gives up on a pending request at `end` and moves on; the request may land later.
    clientFreeAt.set(spec.clientId, end + 1);
    const reach = spec.pending ? spec.durationTicks * pendingReachDurations + 1 : spec.durationTicks;
    const point = call + (reach * spec.pointPercent) / 100;
    const takesEffect = !spec.pending || spec.pendingTakesEffect;
    return { spec, call, end, point, takesEffect };
  });
  const outputs = new Map<number, KvOutput>();
  const store = new Map<string, string>();
  const byPoint = timed.map((_, index) => index).filter((index) => timed[index].takesEffect);
  byPoint.sort((left, right) => timed[left].point - timed[right].point);
  for (const index of byPoint) outputs.set(index, applySequential(store, inputOf(timed[index].spec)));
  return timed.map(({ spec, call, end }, index) => ({
    clientId: spec.clientId,
    input: inputOf(spec),
    output: spec.pending ? undefined : outputs.get(index),
    call,
    return: spec.pending ? Infinity : end,
  }));
}

function inputOf(spec: OperationSpec): KvInput {
  const key = `k${spec.keyIndex}`;
  const value = valueName(spec.valueIndex);
  if (spec.kind === "get") return { kind: "get", key };
  if (spec.kind === "put") return { kind: "put", key, value };
  const expected = spec.expectedIndex < 0 ? null : valueName(spec.expectedIndex);
  return { kind: "cas", key, expected, value };
}
