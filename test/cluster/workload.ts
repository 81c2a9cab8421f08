/**
 * A client workload against a replicated group, recorded for the linearizability checker:
 * clients put, read (strong) and cas on a few shared keys, each write with a unique value, and
 * also put unique keys whose acknowledgement is checked for at the end. A failed read is left
 * out (it had no effect); a failed write is kept as pending (it may have been applied).
 *
 * A workload runs until the test stops it, bounded by a count of operations per client; a test
 * schedules its faults on the workload's progress (after N more acknowledged operations), never
 * on the clock.
 */
import { connect, type FileStore } from "../../src/client/index.ts";
import type { KvOperation } from "../lincheck/kv_model.ts";
import { waitFor } from "../support/wait_for.ts";

export interface WorkloadResult {
  history: KvOperation[];
  /** Unique keys whose put was acknowledged: each must be readable at the end. */
  acknowledgedKeys: Map<string, string>;
  counts: { ok: number; failed: number };
}

export interface Workload {
  /** What has been recorded so far; it grows until the workload stops. */
  readonly result: WorkloadResult;
  /** Waits until `count` more operations than so far have been acknowledged. */
  acknowledgedMore(count: number): Promise<void>;
  /** Waits until `condition` holds of what has been recorded so far. */
  until(condition: (result: WorkloadResult) => boolean, what: string): Promise<void>;
  /** Lets each client finish the operation it has in flight, then closes them; the whole record. */
  stop(): Promise<WorkloadResult>;
}

const sharedKeys = ["k0", "k1", "k2"];
/** Each client waits for its previous request: a closed loop, so a history stays small enough to check. */
const requestTimeoutMs = 2000;
/** Operations per client at most: bounds the load and the history if a test never stops it. */
const operationsPerClientMax = 1000;
/** Polls (5 ms apart) while waiting for progress: at least 10 s, enough for an election and client retries. */
const progressPollsMax = 2000;

export async function startWorkload(addresses: string[], clients: number): Promise<Workload> {
  const result: WorkloadResult = { history: [], acknowledgedKeys: new Map(), counts: { ok: 0, failed: 0 } };
  const stores = await Promise.all(
    Array.from({ length: clients }, () => connect(addresses, { cluster: true, timeoutMs: requestTimeoutMs })),
  );
  const control = { stopping: false };
  const running = Promise.all(stores.map((store, index) => clientLoop(store, index + 1, control, result)));
  const until = async (condition: (result: WorkloadResult) => boolean, what: string) => {
    await waitFor(() => condition(result), what, { attemptsMax: progressPollsMax });
  };
  return {
    result,
    until,
    acknowledgedMore: (count) => {
      const target = result.counts.ok + count;
      return until((now) => now.counts.ok >= target, `${count} more acknowledged operations (${target} in all)`);
    },
    stop: async () => {
      control.stopping = true;
      await running;
      await Promise.all(stores.map((store) => store.close()));
      return result;
    },
  };
}

type Control = { stopping: boolean };

async function clientLoop(store: FileStore, clientId: number, control: Control, result: WorkloadResult): Promise<void> {
  const lastSeen = new Map<string, string | null>();
  for (let sequence = 1; !control.stopping && sequence <= operationsPerClientMax; sequence++) {
    const key = sharedKeys[sequence % sharedKeys.length];
    const value = `c${clientId}-${sequence}`;
    const choice = sequence % 4;
    if (choice === 0) await record(result, clientId, { kind: "put", key: `ack/${value}`, value }, () => store.put(`ack/${value}`, value).then(() => ({ kind: "put" as const })), value);
    else if (choice === 1) await record(result, clientId, { kind: "put", key, value }, () => store.put(key, value).then(() => ({ kind: "put" as const })));
    else if (choice === 2) {
      const output = await record(result, clientId, { kind: "get", key }, async () => {
        const bytes = await store.get(key, { consistency: "strong" });
        return { kind: "get" as const, value: bytes === null ? null : new TextDecoder().decode(bytes) };
      });
      if (output?.kind === "get") lastSeen.set(key, output.value);
    } else {
      const expected = lastSeen.get(key) ?? null;
      await record(result, clientId, { kind: "cas", key, expected, value }, async () => ({ kind: "cas" as const, ok: await store.cas(key, expected, value) }));
    }
  }
}

async function record(
  result: WorkloadResult,
  clientId: number,
  input: KvOperation["input"],
  run: () => Promise<NonNullable<KvOperation["output"]>>,
  acknowledgedValue?: string,
): Promise<KvOperation["output"]> {
  const call = performance.now();
  try {
    const output = await run();
    result.history.push({ clientId, input, output, call, return: performance.now() });
    if (acknowledgedValue !== undefined) result.acknowledgedKeys.set(input.key, acknowledgedValue);
    result.counts.ok++;
    return output;
  } catch {
    result.counts.failed++;
    if (input.kind !== "get") result.history.push({ clientId, input, output: undefined, call, return: Infinity });
    return undefined;
  }
}

/** Strong reads of every shared key after the faults, appended to the history (they must see the last writes). */
export async function finalReads(addresses: string[], result: WorkloadResult): Promise<void> {
  const store = await connect(addresses, { cluster: true, timeoutMs: 10_000 });
  try {
    for (const key of sharedKeys) {
      const call = performance.now();
      const bytes = await store.get(key, { consistency: "strong" });
      const value = bytes === null ? null : new TextDecoder().decode(bytes);
      result.history.push({ clientId: 0, input: { kind: "get", key }, output: { kind: "get", value }, call, return: performance.now() });
    }
  } finally {
    await store.close();
  }
}

/** Keys of acknowledged puts that a strong read no longer finds (or finds changed). */
export async function missingAcknowledged(addresses: string[], acknowledged: Map<string, string>): Promise<string[]> {
  const store = await connect(addresses, { cluster: true, timeoutMs: 10_000 });
  const missing: string[] = [];
  try {
    for (const [key, value] of acknowledged) {
      const bytes = await store.get(key, { consistency: "strong" });
      if (bytes === null || new TextDecoder().decode(bytes) !== value) missing.push(key);
    }
  } finally {
    await store.close();
  }
  return missing;
}
