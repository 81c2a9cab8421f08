/**
 * FileStore over the wire, beside its floor and its peer, in one run: the loopback ping-pong
 * with frames the size of a FileStore get, Redis at the same value size, connections and
 * pipeline depth, and FileStore itself (server in its own process, fsync always, driven by the
 * public client). Prints one table of measurements and one of the issue's targets as ratios.
 */
import { parseArgs } from "node:util";
import * as defaults from "./lib/defaults.ts";
import type { RunDurations } from "./lib/defaults.ts";
import { BenchError } from "./lib/errors.ts";
import {
  closeClients, connectClients, fileStoreMissing, startFileStoreServer, type FileStoreClient,
} from "./lib/filestore_runner.ts";
import { measureGetFrameSizes } from "./lib/get_frame_sizes.ts";
import type { RequestSender } from "./lib/load.ts";
import { measureClosedLoop, measureOpenLoop } from "./lib/measure.ts";
import { formatSection } from "./lib/table.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "./lib/result.ts";
import { runLoopbackBench } from "./peers/loopback.ts";
import { runRedisBench, runRedisDurableBench } from "./peers/redis.ts";

/** Durations of `--quick`: enough to see that every part works, too short for a stable P99.9. */
const quickDurations: RunDurations = { warmupMilliseconds: 100, measureMilliseconds: 500 };

/** redis-benchmark runs by count: about a second of pipelined gets at the rates seen here. */
const redisBenchmarkRequestsCount = 1_000_000;
const redisBenchmarkQuickRequestsCount = 100_000;

export interface NetBenchOptions {
  quick?: boolean;
}

/** The FileStore figures the targets are computed from. */
interface FileStoreFigures {
  getSingle: Measurement;
  getPipelined: Measurement;
  putSingle: Measurement;
  putConcurrent: Measurement;
  getOpenLoopRatePerSecond: number;
}

export async function runNetBench(options: NetBenchOptions = {}): Promise<SectionResult> {
  const durations = options.quick ? quickDurations : defaults.defaultDurations;
  const notes: string[] = [];
  const measurements: Measurement[] = [];
  const frameSizes = await measureGetFrameSizes();
  notes.push(`loopback frames sized as a FileStore get (${frameSizes.source}): request ${frameSizes.requestPayloadBytes} B, reply ${frameSizes.replyPayloadBytes} B after the 4-byte length`);

  let fileStore: FileStoreFigures | undefined;
  const missing = await fileStoreMissing();
  if (missing === null) {
    fileStore = await measureFileStore(durations, measurements);
  } else {
    notes.push(`filestore skipped: ${missing}`);
  }

  const loopback = await runLoopbackBench({
    ...frameSizes,
    valueSizeBytes: defaults.valueSizeBytes,
    throughputClientsCount: defaults.throughputClientsCount,
    throughputPipelineDepth: defaults.throughputPipelineDepth,
    openLoopRatePerSecond: fileStore?.getOpenLoopRatePerSecond,
    openLoopInflightMax: defaults.openLoopInflightMax,
    durations,
  });
  measurements.push(...loopback);

  const redisOptions = {
    valueSizeBytes: defaults.valueSizeBytes,
    keyspaceCount: defaults.keyspaceCount,
    throughputClientsCount: defaults.throughputClientsCount,
    throughputPipelineDepth: defaults.throughputPipelineDepth,
    openLoopRatePerSecond: fileStore?.getOpenLoopRatePerSecond,
    openLoopInflightMax: defaults.openLoopInflightMax,
    redisBenchmarkRequestsCount: options.quick ? redisBenchmarkQuickRequestsCount : redisBenchmarkRequestsCount,
    durations,
  };
  const redis = await runRedisBench(redisOptions);
  measurements.push(...redis.measurements);
  notes.push(...redis.notes);
  const redisDurable = await runRedisDurableBench({ ...redisOptions, concurrentClientsCount: defaults.concurrentWritersCount });
  measurements.push(...redisDurable.measurements);

  const targets = fileStore ? computeTargets(fileStore, loopback[0], redis.measurements) : [];
  if (!fileStore) notes.push("targets not checked: they need the FileStore figures");
  return { section: "net: FileStore over TCP on 127.0.0.1, loopback floor, Redis", measurements, targets, notes };
}

async function measureFileStore(durations: RunDurations, measurements: Measurement[]): Promise<FileStoreFigures> {
  const server = await startFileStoreServer("always");
  const label = (operation: string, note?: string) => ({
    system: "filestore", operation, valueSizeBytes: defaults.valueSizeBytes, note,
  });
  const fsyncNote = "fsync always";
  try {
    const single = await connectClients(server.address, 1);
    const pipelined = await connectClients(server.address, defaults.throughputClientsCount);
    const concurrent = await connectClients(server.address, defaults.concurrentWritersCount);
    try {
      await populate(single[0]);
      const depth = defaults.throughputPipelineDepth;
      const getSingle = await measureClosedLoop(label("get"), getSenders(single), 1, durations);
      const getPipelined = await measureClosedLoop(label("get"), getSenders(pipelined), depth, durations);
      const getRate = getPipelined.throughputPerSecond * defaults.openLoopRateFraction;
      const getOpen = await measureOpenLoop(label("get"), getSenders(pipelined), getRate, defaults.openLoopInflightMax, durations);
      const putSingle = await measureClosedLoop(label("put", fsyncNote), putSenders(single), 1, durations);
      const putConcurrent = await measureClosedLoop(label("put", fsyncNote), putSenders(concurrent), 1, durations);
      const putPipelined = await measureClosedLoop(label("put", fsyncNote), putSenders(pipelined), depth, durations);
      const putRate = putPipelined.throughputPerSecond * defaults.openLoopRateFraction;
      const putOpen = await measureOpenLoop(label("put", fsyncNote), putSenders(pipelined), putRate, defaults.openLoopInflightMax, durations);
      measurements.push(getSingle, getPipelined, getOpen, putSingle, putConcurrent, putPipelined, putOpen);
      return { getSingle, getPipelined, putSingle, putConcurrent, getOpenLoopRatePerSecond: getRate };
    } finally {
      await closeClients([...single, ...pipelined, ...concurrent]);
    }
  } finally {
    await server.stop();
  }
}

const encoder = new TextEncoder();
const benchKeys = Array.from({ length: defaults.keyspaceCount }, (_, index) => encoder.encode(defaults.benchKey(index)));

/** Writes in flight while populating: deep enough to use group commit, bounded to spare memory. */
const populateBatchCount = 256;

async function populate(client: FileStoreClient): Promise<void> {
  const value = defaults.benchValue();
  for (let start = 0; start < benchKeys.length; start += populateBatchCount) {
    const batch = benchKeys.slice(start, start + populateBatchCount);
    await Promise.all(batch.map((key) => client.put(key, value)));
  }
}

function getSenders(clients: FileStoreClient[]): RequestSender[] {
  return clients.map((client, clientIndex) => {
    let next = clientIndex * 7919;
    return async () => {
      const value = await client.get(benchKeys[next % benchKeys.length]);
      next += 1;
      if (value === null || value.length !== defaults.valueSizeBytes) {
        throw new BenchError(`filestore get returned ${value === null ? "null" : `${value.length} bytes`}`);
      }
    };
  });
}

function putSenders(clients: FileStoreClient[]): RequestSender[] {
  const value = defaults.benchValue(1);
  return clients.map((client, clientIndex) => {
    let next = clientIndex * 7919;
    return async () => {
      await client.put(benchKeys[next % benchKeys.length], value);
      next += 1;
    };
  });
}

function computeTargets(fileStore: FileStoreFigures, loopbackPingPong: Measurement, redis: Measurement[]): TargetCheck[] {
  const targets = [
    checkTarget("get P99, 1 client vs loopback ping-pong P99", fileStore.getSingle.latency.p99Microseconds,
      loopbackPingPong.latency.p99Microseconds, "<=", 2, "µs"),
    checkTarget(`put fsync always: ${defaults.concurrentWritersCount} clients vs 1 client`,
      fileStore.putConcurrent.throughputPerSecond, fileStore.putSingle.throughputPerSecond, ">=", 20, "ops/s"),
  ];
  const isPipelinedGet = (m: Measurement) =>
    m.operation === "get" && m.shape.loop === "closed" && m.shape.pipelineDepth === defaults.throughputPipelineDepth;
  for (const peer of redis.filter(isPipelinedGet)) {
    const source = peer.source ?? "same harness";
    targets.push(checkTarget(`pipelined get vs redis (${source})`, fileStore.getPipelined.throughputPerSecond,
      peer.throughputPerSecond, ">=", 1, "ops/s"));
  }
  return targets;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
  const result = await runNetBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
