/**
 * FileStore over the wire, beside its floor and its peer, in one run: the loopback exchange with
 * frames the size of a FileStore get, Redis at the same value size, connections and pipeline
 * depth, and FileStore itself (server in its own process, fsync always, driven by the public
 * client). Runs that are compared with each other take turns in short slices (interleave.ts), so
 * the drifting load of a shared machine hits them alike. Prints one table of measurements and
 * one of the issue's targets as ratios.
 * Usage: bun bench/net.ts [--json] [--quick]   (or bun bench/run.ts net)
 */
import { parseArgs } from "node:util";
import * as defaults from "./lib/defaults.ts";
import { BenchError } from "./lib/errors.ts";
import { connectClients, closeClients, fileStoreMissing, startFileStoreServer } from "./lib/filestore_runner.ts";
import {
  connectRawGetSenders, fileStoreGetSenders, fileStorePutSenders, populateFileStore,
} from "./lib/filestore_senders.ts";
import { measureGetFrameSizes, type GetFrameSizes } from "./lib/get_frame_sizes.ts";
import { runInterleaved, type Contender, type InterleaveSchedule } from "./lib/interleave.ts";
import type { RequestSender } from "./lib/load.ts";
import { closedLoopContender, openLoopContender } from "./lib/measure.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";
import { connectLoopbackSenders, startLoopbackServer } from "./peers/loopback.ts";
import {
  closeRedis, connectRedis, isRedisInstalled, populateRedis, redisGetSenders, redisMissingNote, redisSetSenders, startRedis,
} from "./peers/redis.ts";
import { runRedisBenchmark } from "./peers/redis_benchmark.ts";
import { isExecutableOnPath } from "./lib/child_process.ts";

/**
 * Six rounds of half a second: 3 s measured per contender, slices short enough to track drift.
 * Each contender's first slice follows 3 s of the same load: a FileStore server under 64
 * writers spent 21-33% of a core in its JIT threads in its first 2 s and 1-2% after, and its
 * throughput rose by a third meanwhile; the others get the same warm-up.
 */
const fullSchedule: InterleaveSchedule = { rounds: 6, sliceMilliseconds: 500, firstWarmupMilliseconds: 3_000, sliceWarmupMilliseconds: 50 };
/** `--quick`: enough to see that every part works, too short for a stable P99.9. */
const quickSchedule: InterleaveSchedule = { rounds: 2, sliceMilliseconds: 200, firstWarmupMilliseconds: 100, sliceWarmupMilliseconds: 20 };
/** redis-benchmark runs by count: about a few seconds of pipelined gets at the rates seen here. */
const redisBenchmarkRequestsCount = 1_000_000;
const redisBenchmarkQuickRequestsCount = 100_000;
/**
 * Floor of the open-loop rates: when the pipelined run completed (almost) nothing in its window
 * (a stalled disk under fsync always), half of it would be no load at all.
 */
const openLoopRatePerSecondMin = 10;

export interface NetBenchOptions {
  quick?: boolean;
}

/** Load of each system, per shape; absent when the system is not available. */
interface Senders {
  single: RequestSender[];
  pipelined: RequestSender[];
}

interface Setup {
  fileStore?: { get: Senders; put: Senders & { concurrent: RequestSender[] }; rawGet: RequestSender[]; address: string };
  loopback: Senders;
  redis?: { get: Senders; port: number };
  redisDurable?: { single: RequestSender[]; concurrent: RequestSender[] };
  notes: string[];
  cleanups: (() => Promise<void>)[];
  /** Explains a failure by a server that died under the load, if one did. */
  describeServerExit?: () => Promise<string | null>;
}

export async function runNetBench(options: NetBenchOptions = {}): Promise<SectionResult> {
  const schedule = options.quick ? quickSchedule : fullSchedule;
  const frameSizes = measureGetFrameSizes();
  const setup: Setup = { loopback: { single: [], pipelined: [] }, notes: [], cleanups: [] };
  try {
    await startSystems(setup, frameSizes);
    const measurements: Measurement[] = [];
    const targets: TargetCheck[] = [];
    await measureGets(setup, schedule, measurements, targets);
    await measureDurableWrites(setup, schedule, measurements, targets);
    await measureFixedRates(setup, schedule, measurements);
    await measureWithRedisBenchmark(setup, options.quick ?? false, measurements, targets);
    if (!setup.fileStore) setup.notes.push("targets not checked: they need the FileStore figures");
    return { section: "net: FileStore over TCP on 127.0.0.1, loopback floor, Redis", measurements, targets, notes: setup.notes };
  } catch (error) {
    const serverExit = await setup.describeServerExit?.();
    if (serverExit) throw new BenchError(`${(error as Error).message}; ${serverExit}`);
    throw error;
  } finally {
    for (const cleanup of setup.cleanups.reverse()) await cleanup();
  }
}

async function startSystems(setup: Setup, frameSizes: GetFrameSizes): Promise<void> {
  setup.notes.push(`loopback frames sized as a FileStore get (its codec): request ${frameSizes.requestPayloadBytes} B, reply ${frameSizes.replyPayloadBytes} B after the 4-byte length`);
  const missing = await fileStoreMissing();
  if (missing === null) await startFileStore(setup);
  else setup.notes.push(`filestore skipped: ${missing}`);

  const loopbackServer = await startLoopbackServer(frameSizes.replyPayloadBytes);
  setup.cleanups.push(loopbackServer.stop);
  const single = await connectLoopbackSenders(loopbackServer.port, 1, frameSizes.requestPayloadBytes);
  const pipelined = await connectLoopbackSenders(loopbackServer.port, defaults.throughputClientsCount, frameSizes.requestPayloadBytes);
  setup.cleanups.push(single.close, pipelined.close);
  setup.loopback = { single: single.senders, pipelined: pipelined.senders };

  if (isRedisInstalled()) await startRedisPeers(setup);
  else setup.notes.push(redisMissingNote);
}

async function startFileStore(setup: Setup): Promise<void> {
  const server = await startFileStoreServer("always");
  setup.cleanups.push(server.stop);
  setup.describeServerExit = server.describeExit;
  const single = await connectClients(server.address, 1);
  const pipelined = await connectClients(server.address, defaults.throughputClientsCount);
  const concurrent = await connectClients(server.address, defaults.concurrentWritersCount);
  setup.cleanups.push(() => closeClients([...single, ...pipelined, ...concurrent]));
  const raw = await connectRawGetSenders(server.address, defaults.throughputClientsCount);
  setup.cleanups.push(raw.close);
  await populateFileStore(single[0]);
  setup.fileStore = {
    address: server.address,
    get: { single: fileStoreGetSenders(single), pipelined: fileStoreGetSenders(pipelined) },
    put: { single: fileStorePutSenders(single), pipelined: fileStorePutSenders(pipelined), concurrent: fileStorePutSenders(concurrent) },
    rawGet: raw.senders,
  };
  setup.notes.push("filestore: server started with `bun src/main.ts serve --fsync always` in a temporary data folder; client is src/client");
}

async function startRedisPeers(setup: Setup): Promise<void> {
  const redis = await startRedis("none");
  setup.cleanups.push(redis.stop);
  const single = await connectRedis(redis.port, 1);
  const pipelined = await connectRedis(redis.port, defaults.throughputClientsCount);
  setup.cleanups.push(closeRedis([...single, ...pipelined]));
  await populateRedis(single[0]);
  setup.redis = { port: redis.port, get: { single: redisGetSenders(single), pipelined: redisGetSenders(pipelined) } };

  const durable = await startRedis("appendfsync-always");
  setup.cleanups.push(durable.stop);
  const concurrent = await connectRedis(durable.port, defaults.concurrentWritersCount);
  setup.cleanups.push(closeRedis(concurrent));
  const setters = redisSetSenders(concurrent);
  setup.redisDurable = { single: setters.slice(0, 1), concurrent: setters };
  setup.notes.push("redis: gets against a server without persistence; sets with --appendonly yes --appendfsync always; Bun RESP client through the same harness as FileStore");
}

const label = (system: string, operation: string, note?: string) => ({ system, operation, valueSizeBytes: defaults.valueSizeBytes, note });

/** 1-client gets and pipelined gets of every system, interleaved. */
async function measureGets(setup: Setup, schedule: InterleaveSchedule, measurements: Measurement[], targets: TargetCheck[]): Promise<void> {
  const depth = defaults.throughputPipelineDepth;
  const singles: Contender[] = [closedLoopContender(label("loopback", "ping-pong", "raw frames"), setup.loopback.single, 1)];
  const pipelines: Contender[] = [closedLoopContender(label("loopback", "pipelined", "raw frames"), setup.loopback.pipelined, depth)];
  if (setup.fileStore) {
    singles.push(closedLoopContender(label("filestore", "get"), setup.fileStore.get.single, 1));
    pipelines.push(closedLoopContender(label("filestore", "get"), setup.fileStore.get.pipelined, depth));
    pipelines.push(closedLoopContender(label("filestore", "get", "raw frames, no client library"), setup.fileStore.rawGet, depth));
  }
  if (setup.redis) {
    singles.push(closedLoopContender(label("redis", "get"), setup.redis.get.single, 1));
    pipelines.push(closedLoopContender(label("redis", "get"), setup.redis.get.pipelined, depth));
  }
  const singleResults = await runInterleaved(singles, schedule);
  const pipelinedResults = await runInterleaved(pipelines, schedule);
  measurements.push(...singleResults, ...pipelinedResults);
  const loopbackSingle = findMeasurement(singleResults, "loopback", "ping-pong");
  const fileStoreSingle = findMeasurement(singleResults, "filestore", "get");
  if (loopbackSingle && fileStoreSingle) {
    targets.push(checkTarget("get P99, 1 client vs loopback ping-pong P99", fileStoreSingle.latency.p99Microseconds,
      loopbackSingle.latency.p99Microseconds, "<=", 2, "µs"));
  }
  const fileStorePipelined = findMeasurement(pipelinedResults, "filestore", "get");
  const redisPipelined = findMeasurement(pipelinedResults, "redis", "get");
  notePipelinedCeiling(setup, pipelinedResults);
  if (fileStorePipelined && redisPipelined) {
    targets.push(checkTarget("pipelined get vs redis (same harness)", fileStorePipelined.throughputPerSecond,
      redisPipelined.throughputPerSecond, ">=", 1, "ops/s"));
  }
}

/**
 * The pipelined loopback row is a Bun server that answers each frame with a canned reply and no
 * work: the ceiling any Bun server reaches in this harness on this machine. Each system's share
 * of it says how much of the gap to a peer is the server's own work.
 */
function notePipelinedCeiling(setup: Setup, results: Measurement[]): void {
  const ceiling = findMeasurement(results, "loopback", "pipelined");
  if (!ceiling || ceiling.throughputPerSecond <= 0) return;
  const shares = results
    .filter((measurement) => measurement !== ceiling)
    .map((measurement) => `${measurement.system} ${measurement.operation}${measurement.shape.note ? ` (${measurement.shape.note})` : ""} ${(measurement.throughputPerSecond / ceiling.throughputPerSecond).toFixed(2)}x`);
  setup.notes.push(`pipelined, share of the loopback ceiling (a Bun server doing no work, ${Math.round(ceiling.throughputPerSecond).toLocaleString("en-US")} ops/s): ${shares.join(", ")}`);
}

/** The measurement of `system` and `operation` through the standard client (not the raw-frame diagnostic). */
function findMeasurement(measurements: Measurement[], system: string, operation: string, depth?: number): Measurement | undefined {
  return measurements.find((m) => m.system === system && m.operation === operation && m.source === undefined &&
    m.shape.note !== "raw frames, no client library" && (depth === undefined || m.shape.pipelineDepth === depth));
}

/** Puts with fsync always at 1 and 64 clients (and Redis appendfsync always), interleaved; then pipelined puts. */
async function measureDurableWrites(setup: Setup, schedule: InterleaveSchedule, measurements: Measurement[], targets: TargetCheck[]): Promise<void> {
  const contenders: Contender[] = [];
  const fsyncNote = "fsync always";
  if (setup.fileStore) {
    contenders.push(closedLoopContender(label("filestore", "put", fsyncNote), setup.fileStore.put.single, 1));
    contenders.push(closedLoopContender(label("filestore", "put", fsyncNote), setup.fileStore.put.concurrent, 1));
  }
  if (setup.redisDurable) {
    contenders.push(closedLoopContender(label("redis", "set", "appendfsync always"), setup.redisDurable.single, 1));
    contenders.push(closedLoopContender(label("redis", "set", "appendfsync always"), setup.redisDurable.concurrent, 1));
  }
  if (contenders.length === 0) return;
  const results = await runInterleaved(contenders, schedule);
  measurements.push(...results);
  if (!setup.fileStore) return;
  const [single, concurrent] = results;
  targets.push(checkTarget(`put fsync always: ${defaults.concurrentWritersCount} clients vs 1 client`,
    concurrent.throughputPerSecond, single.throughputPerSecond, ">=", 20, "ops/s"));
  if (setup.redisDurable) {
    // The same ratio for Redis in this run: what the machine's cores and disk allow a peer.
    const [redisSingle, redisConcurrent] = results.slice(2);
    setup.notes.push(`put fsync always, ${defaults.concurrentWritersCount} clients vs 1: filestore ${ratioText(concurrent, single)}, redis (appendfsync always) ${ratioText(redisConcurrent, redisSingle)} in the same run`);
  }
  const pipelined = closedLoopContender(label("filestore", "put", fsyncNote), setup.fileStore.put.pipelined, defaults.throughputPipelineDepth);
  measurements.push(...(await runInterleaved([pipelined], schedule)));
}

/** Open-loop runs at half of FileStore's measured maximum (or of the loopback's, without FileStore). */
async function measureFixedRates(setup: Setup, schedule: InterleaveSchedule, measurements: Measurement[]): Promise<void> {
  const depth = defaults.throughputPipelineDepth;
  const getMax = findMeasurement(measurements, "filestore", "get", depth) ?? findMeasurement(measurements, "loopback", "pipelined", depth);
  const getRate = fixedRate(getMax);
  const inflight = defaults.openLoopInflightMax;
  const contenders: Contender[] = [openLoopContender(label("loopback", "fixed rate", "raw frames"), setup.loopback.pipelined, getRate, inflight)];
  if (setup.fileStore) contenders.push(openLoopContender(label("filestore", "get"), setup.fileStore.get.pipelined, getRate, inflight));
  if (setup.redis) contenders.push(openLoopContender(label("redis", "get"), setup.redis.get.pipelined, getRate, inflight));
  measurements.push(...(await runInterleaved(contenders, schedule)));
  if (!setup.fileStore) return;
  const putMax = findMeasurement(measurements, "filestore", "put", depth);
  const putRate = fixedRate(putMax);
  const put = openLoopContender(label("filestore", "put", "fsync always"), setup.fileStore.put.pipelined, putRate, inflight);
  measurements.push(...(await runInterleaved([put], schedule)));
}

function ratioText(over: Measurement, under: Measurement): string {
  return `${(over.throughputPerSecond / under.throughputPerSecond).toFixed(1)}x (${Math.round(over.throughputPerSecond).toLocaleString("en-US")} / ${Math.round(under.throughputPerSecond).toLocaleString("en-US")} ops/s)`;
}

function fixedRate(maximum: Measurement | undefined): number {
  const rate = Math.round((maximum?.throughputPerSecond ?? 0) * defaults.openLoopRateFraction);
  return Math.max(openLoopRatePerSecondMin, rate);
}

/** Redis's own C client at the same connections and depth: the strongest pipelined figure Redis can show. */
async function measureWithRedisBenchmark(setup: Setup, quick: boolean, measurements: Measurement[], targets: TargetCheck[]): Promise<void> {
  if (!setup.redis) return;
  if (!isExecutableOnPath("redis-benchmark")) {
    setup.notes.push("redis-benchmark not installed: only the Bun RESP client figures are shown");
    return;
  }
  const results = await runRedisBenchmark({
    port: setup.redis.port,
    clientsCount: defaults.throughputClientsCount,
    pipelineDepth: defaults.throughputPipelineDepth,
    valueSizeBytes: defaults.valueSizeBytes,
    keyspaceCount: defaults.keyspaceCount,
    requestsCount: quick ? redisBenchmarkQuickRequestsCount : redisBenchmarkRequestsCount,
  });
  measurements.push(...results);
  const fileStorePipelined = findMeasurement(measurements, "filestore", "get", defaults.throughputPipelineDepth);
  const redisGet = results.find((m) => m.operation === "get");
  if (fileStorePipelined && redisGet) {
    targets.push(checkTarget("pipelined get vs redis (redis-benchmark)", fileStorePipelined.throughputPerSecond,
      redisGet.throughputPerSecond, ">=", 1, "ops/s"));
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
  const result = await runNetBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
