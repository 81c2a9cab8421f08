/**
 * The routing client's cost on a 3-node cluster of 64 shards:
 * - in process: the key → shard → connection lookup (bench/placement.ts, the client's routing
 *   step: ClusterView.routeOf, then the route's open connection), target at most 1 µs;
 * - over the wire, 1 client, closed loop: strong gets through the routing client (connect() with
 *   every node's address) against gets over a direct connection to the leader of the keys' shards
 *   (connect(leader, { cluster: false }), no routing), target P99 at most 1.1x. Both read the
 *   same keys: those whose shards one node leads, found by asking that node directly (its strong
 *   get answers a key it leads; NOT_LEADER, WRONG_SHARD or, while it elects, UNAVAILABLE the
 *   others). The two take turns in slices (lib/interleave.ts). When one of those shards elects
 *   another leader meanwhile, the comparison starts again from the probing, at most 3 times.
 */
import { connect, FileStoreError, type FileStore } from "../../src/client/index.ts";
import type { BenchCluster } from "../lib/bench_cluster.ts";
import * as defaults from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import { runInterleaved, type InterleaveSchedule } from "../lib/interleave.ts";
import type { RequestSender } from "../lib/load.ts";
import { closedLoopContender } from "../lib/measure.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "../lib/result.ts";
import { routingNanosecondsMax, runPlacementBench, type PlacementBenchResult } from "../placement.ts";

/** The issue's target: a get through the routing client at most this many times a direct one, at P99. */
const routedGetP99RatioMax = 1.1;
/** Keys asked of each node to find the ones it leads: about a third of them are, plenty for a get loop. */
const probedKeysCount = 1_500;
/** Probing gets in flight at once. */
const probesInFlight = 128;
const requestTimeoutMilliseconds = 10_000;

export async function measureRouting(
  cluster: BenchCluster, schedule: InterleaveSchedule, quick: boolean,
): Promise<SectionResult> {
  const restarts: string[] = [];
  let gets: GetComparison | null = null;
  while (gets === null) {
    try {
      gets = await compareGets(cluster, schedule);
    } catch (error) {
      if (!(error instanceof LeaderMovedError) || restarts.length === comparisonRestartsMax) throw error;
      restarts.push(error.message);
    }
  }
  const [throughRouter, straight] = gets.measurements;
  const placement = runPlacementBench({ quick });
  const notes = [
    `gets: ${gets.keys} keys whose shards ${gets.address} leads, found among the first ${probedKeysCount}; `
      + `${schedule.rounds} round(s) of ${schedule.sliceMilliseconds} ms slices each, `
      + `${schedule.firstWarmupMilliseconds} ms warm-up first`,
    ...placement.notes.filter((note) => note.includes("client routing step")),
  ];
  if (restarts.length > 0) {
    const why = restarts.join("; ");
    notes.push(`the get comparison was started again ${restarts.length} time(s), a leader having moved: ${why}`);
  }
  return {
    section: `routing: the client's key → shard → connection lookup; gets routed vs direct, ${cluster.label}`,
    measurements: gets.measurements,
    targets: [
      checkTarget("get P99, routing client vs direct to the leader", throughRouter.latency.p99Microseconds,
        straight.latency.p99Microseconds, "<=", routedGetP99RatioMax, "µs"),
      routingStepTypical(placement.timings),
      ...placement.targets,
    ],
    notes,
  };
}

interface GetComparison {
  /** Through the routing client, then direct. */
  measurements: [Measurement, Measurement];
  address: string;
  keys: number;
}

/** 1-client gets of the keys one node leads, through the routing client and straight to that node, in turns. */
async function compareGets(cluster: BenchCluster, schedule: InterleaveSchedule): Promise<GetComparison> {
  const { address, keys } = await ledKeys(cluster.addresses());
  const routed = await connect(cluster.addresses(), { timeoutMs: requestTimeoutMilliseconds });
  const direct = await connect(address, { cluster: false, timeoutMs: requestTimeoutMilliseconds });
  try {
    const label = (operation: string) =>
      ({ system: "filestore", operation, valueSizeBytes: defaults.valueSizeBytes, note: cluster.label });
    const measurements = await runInterleaved([
      closedLoopContender(label("get strong, routing client"), [getSender(routed, keys)], 1),
      closedLoopContender(label("get strong, direct to the shard's leader"), [getSender(direct, keys, address)], 1),
    ], schedule);
    return { measurements: measurements as [Measurement, Measurement], address, keys: keys.length };
  } finally {
    await Promise.all([routed.close(), direct.close()]);
  }
}

/**
 * The client's routing step at its median batch, the worst of every key shape and map size: a
 * lookup's own cost. The P99 of batches (placement.ts's targets, also shown) adds what a batch of
 * a thousand lookups meets on a shared machine: a batch lasts ~0.1 ms, and a preemption of a few
 * ms in 1% of them sets the P99.
 */
function routingStepTypical(timings: PlacementBenchResult["timings"]): TargetCheck {
  const steps = timings.filter((timing) => timing.name.includes("client routing step"));
  const worstP50 = Math.max(...steps.map((timing) => timing.p50Nanoseconds));
  const description = "client routing step (ClusterView.routeOf → connection), worst P50";
  return checkTarget(description, worstP50, routingNanosecondsMax, "<=", 1, "ns");
}

/** The node that leads the shards of the most probed keys, and those keys. */
async function ledKeys(addresses: string[]): Promise<{ address: string; keys: string[] }> {
  let best = { address: "", keys: [] as string[] };
  for (const address of addresses) {
    const store = await connect(address, { cluster: false, timeoutMs: requestTimeoutMilliseconds });
    try {
      const keys = await keysLedBy(store);
      if (keys.length > best.keys.length) best = { address, keys };
    } finally {
      await store.close();
    }
  }
  if (best.keys.length === 0) throw new BenchError("no node answered a strong get directly: no shard leader found");
  return best;
}

async function keysLedBy(store: FileStore): Promise<string[]> {
  const led: string[] = [];
  for (let start = 0; start < probedKeysCount; start += probesInFlight) {
    const length = Math.min(probesInFlight, probedKeysCount - start);
    const batch = Array.from({ length }, (_, offset) => defaults.benchKey(start + offset));
    const answers = await Promise.all(batch.map((key) => store.get(key).then(() => true, refusedAsNotLed)));
    batch.forEach((key, index) => answers[index] && led.push(key));
  }
  return led;
}

/** The answers of a node that does not lead the key's shard (now: UNAVAILABLE while it elects). */
function isNotLeading(error: unknown): boolean {
  return error instanceof FileStoreError
    && (error.code === "NOT_LEADER" || error.code === "WRONG_SHARD" || error.code === "UNAVAILABLE");
}

/** A node not leading the key's shard; any other failure is the bench's. */
function refusedAsNotLed(error: unknown): false {
  if (isNotLeading(error)) return false;
  throw error;
}

/**
 * A leader of the keys' shards moved (an election: the machine is shared, and a node that misses
 * heartbeats for 150-300 ms is replaced): the direct connection no longer reaches the leader, and
 * the comparison starts again with the keys some node leads now.
 */
class LeaderMovedError extends BenchError {}

/** Elections during the comparison that it survives: each is a restart of its few seconds. */
const comparisonRestartsMax = 3;

/** Gets of `keys` in turn; `directTo`: the node the store reaches directly, which must lead their shards. */
function getSender(store: FileStore, keys: string[], directTo?: string): RequestSender {
  let next = 0;
  return async () => {
    const key = keys[next++ % keys.length]!;
    const value = await store.get(key).catch((error: unknown) => {
      if (directTo !== undefined && isNotLeading(error)) {
        throw new LeaderMovedError(`${directTo} answered ${(error as FileStoreError).code} for ${key}`);
      }
      throw error;
    });
    if (value === null || value.length !== defaults.valueSizeBytes) {
      throw new BenchError(`get returned ${value === null ? "null" : `${value.length} bytes`}`);
    }
  };
}
