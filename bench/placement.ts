/**
 * Microbenchmark of the client's routing step (src/cluster/placement/), in process, no I/O:
 * key → partition key → hash → shard (binary search of the map) → the leader's connection (a
 * Map lookup standing in for the client's connection table), and the routing client's own step
 * (src/client/cluster_view.ts: ClusterView.routeOf, then the route's open connection, as
 * ShardRouter takes it for every request). The target for the whole lookup is at most 1 µs.
 * Shapes: partition keys of 13 and 28 bytes (inside keys of 27 and 45
 * bytes), maps of 16, 256 and 4096 shards. Also reported, for reference: the hash alone, and
 * Bun's native xxHash64 of the same bytes (which returns a BigInt).
 * Timing: batches of `batchOperations` lookups over 1024 distinct keys are timed with
 * Bun.nanoseconds(); per-lookup figures are a batch's time divided by its size, so P50/P99/max
 * are over batches (a single lookup is shorter than a clock read).
 * Usage: bun bench/placement.ts [--json] [--quick]   (or bun bench/run.ts placement)
 */
import { parseArgs } from "node:util";
import { shardOfKey } from "../src/cluster/placement/locate.ts";
import { hashPartitionKey, type PartitionHash } from "../src/cluster/placement/partition_hash.ts";
import { partitionKeyLength } from "../src/cluster/placement/partition_key.ts";
import { equalRanges } from "../src/cluster/placement/hash_range.ts";
import { ShardMap } from "../src/cluster/placement/shard_map.ts";
import { ClusterView } from "../src/client/cluster_view.ts";
import type { ClientCore } from "../src/client/client.ts";
import { checkTarget, type SectionResult } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";

const shardCounts = [16, 256, 4096] as const;
const keyShapes = [
  { name: "13 B partition", key: (index: number) => `orders/u${10000 + index}/2026-12-07/o9` },
  { name: "28 B partition", key: (index: number) => `customer-profiles/c-${10000000 + index}/addresses/home` },
] as const;
const distinctKeys = 1024;
const batchOperations = 1000;
const batches = 2000;
const quickBatches = 200;
/** The target for key → shard → connection, in nanoseconds. */
export const routingNanosecondsMax = 1000;

interface Timing {
  name: string;
  p50Nanoseconds: number;
  p99Nanoseconds: number;
  maxNanoseconds: number;
}

export interface PlacementBenchResult extends SectionResult {
  timings: Timing[];
}

/** Runs `operation` over the keys in timed batches; per-operation nanoseconds at P50, P99 and max of the batches. */
function time(name: string, keys: Uint8Array[], batchCount: number, operation: (key: Uint8Array) => number): Timing {
  let sink = 0;
  const perOperation: number[] = [];
  for (let batch = 0; batch < batchCount; batch++) {
    const started = Bun.nanoseconds();
    for (let index = 0; index < batchOperations; index++) sink += operation(keys[(batch + index) % keys.length]!);
    perOperation.push((Bun.nanoseconds() - started) / batchOperations);
  }
  if (sink === -1) console.log(sink); // keeps the work observable
  perOperation.sort((a, b) => a - b);
  const at = (quantile: number) => perOperation[Math.min(perOperation.length - 1, Math.floor(quantile * batchCount))]!;
  return { name, p50Nanoseconds: at(0.5), p99Nanoseconds: at(0.99), maxNanoseconds: perOperation.at(-1)! };
}

function mapOf(count: number): ShardMap {
  const shards = equalRanges(count).map((range, index) => {
    const leader = (index % 3) + 1;
    return { id: index + 1, range, epoch: 1, replicas: [{ node: leader, role: "voter" as const }], leader };
  });
  return new ShardMap(1, shards);
}

function timeShape(shape: (typeof keyShapes)[number], batchCount: number): Timing[] {
  const encoder = new TextEncoder();
  const keys = Array.from({ length: distinctKeys }, (_, index) => encoder.encode(shape.key(index)));
  const connections = new Map<number, { id: number }>([[1, { id: 1 }], [2, { id: 2 }], [3, { id: 3 }]]);
  const hash: PartitionHash = { high: 0, low: 0 };
  const timings = [
    time(`${shape.name}: hash only`, keys, batchCount,
      (key) => hashPartitionKey(key, 0, partitionKeyLength(key), hash).low),
    time(`${shape.name}: Bun.hash.xxHash64 (native, BigInt)`, keys, batchCount,
      (key) => Number(BigInt.asUintN(8, BigInt(Bun.hash.xxHash64(key.subarray(0, partitionKeyLength(key)), 0n))))),
  ];
  for (const count of shardCounts) {
    const map = mapOf(count);
    timings.push(time(`${shape.name}, ${count} shards: key → shard → connection`, keys, batchCount,
      (key) => connections.get(shardOfKey(key, map).leader!)!.id));
    const view = clientViewOf(map);
    const name = `${shape.name}, ${count} shards: client routing step, key → route → connection`;
    timings.push(time(name, keys, batchCount, (key) => routedConnection(view, key)));
  }
  return timings;
}

/** The routing client's view of `map`, every route's connection standing open (an object that says so). */
function clientViewOf(map: ShardMap): ClusterView {
  const nodes = [1, 2, 3].map((id) => ({ id, name: `n${id}`, clientAddress: `127.0.0.1:${7400 + id}` }));
  const view = new ClusterView({ version: 1, shards: map.shards, nodes });
  for (const shard of view.shards) view.routeOfShard(shard).connection = { connected: true } as unknown as ClientCore;
  return view;
}

/** ShardRouter's step for every request: the key's route, then its connection if open (1 when found). */
function routedConnection(view: ClusterView, key: Uint8Array): number {
  const connection = view.routeOf(key).connection;
  return connection !== null && connection.connected ? 1 : 0;
}

export function runPlacementBench(options: { quick?: boolean } = {}): PlacementBenchResult {
  const batchCount = options.quick ? quickBatches : batches;
  for (const shape of keyShapes) timeShape(shape, quickBatches); // warm-up: lets the JIT settle first
  const timings = keyShapes.flatMap((shape) => timeShape(shape, batchCount));
  const routing = timings.filter((timing) => timing.name.endsWith("key → shard → connection"));
  const client = timings.filter((timing) => timing.name.includes("client routing step"));
  const clientWorstP99 = Math.max(...client.map((timing) => timing.p99Nanoseconds));
  const worstP99 = Math.max(...routing.map((timing) => timing.p99Nanoseconds));
  const notes = timings.map((timing) =>
    `${timing.name}: P50 ${timing.p50Nanoseconds.toFixed(0)} ns, P99 ${timing.p99Nanoseconds.toFixed(0)} ns, `
    + `max ${timing.maxNanoseconds.toFixed(0)} ns (per lookup, over batches of ${batchOperations})`);
  const target = checkTarget("routing key → shard → connection, worst P99 of all shapes", worstP99,
    routingNanosecondsMax, "<=", 1, "ns");
  const clientTarget = checkTarget("client routing step (ClusterView.routeOf → connection), worst P99",
    clientWorstP99, routingNanosecondsMax, "<=", 1, "ns");
  const targets = [target, clientTarget];
  return { section: "placement (routing lookup, in process)", measurements: [], targets, notes, timings };
}

if (import.meta.main) {
  const options = { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } as const;
  const { values } = parseArgs({ options });
  const result = runPlacementBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
