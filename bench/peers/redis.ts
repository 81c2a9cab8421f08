/**
 * Redis as the peer a user would otherwise pick: started on a free 127.0.0.1 port with no
 * persistence in a temporary directory, measured with the same harness and load shape as
 * FileStore (a small RESP client in Bun) and with redis-benchmark, then stopped.
 */
import { isExecutableOnPath, readLogTail, spawnPeer, stopPeer, waitForPort } from "../lib/child_process.ts";
import { benchKey, benchValue, type RunDurations } from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import { findFreePort } from "../lib/free_port.ts";
import type { RequestSender } from "../lib/load.ts";
import { measureClosedLoop, measureOpenLoop } from "../lib/measure.ts";
import type { Measurement } from "../lib/result.ts";
import { makeTempDirectory, removeTempDirectory } from "../lib/temp_directory.ts";
import { runRedisBenchmark } from "./redis_benchmark.ts";
import { RespClient, encodeCommand } from "./resp_client.ts";

export interface RedisBenchOptions {
  valueSizeBytes: number;
  keyspaceCount: number;
  throughputClientsCount: number;
  throughputPipelineDepth: number;
  /** When set, also a get run at this fixed rate (open loop) over the throughput connections. */
  openLoopRatePerSecond?: number;
  openLoopInflightMax: number;
  /** redis-benchmark requests per test. */
  redisBenchmarkRequestsCount: number;
  durations: RunDurations;
}

export interface PeerResult {
  measurements: Measurement[];
  notes: string[];
}

const redisMissingNote = "redis skipped: redis-server is not installed (apt-get install -y redis-server)";

export async function runRedisBench(options: RedisBenchOptions): Promise<PeerResult> {
  if (!isExecutableOnPath("redis-server")) return { measurements: [], notes: [redisMissingNote] };
  return withRedis(["--save", "", "--appendonly", "no"], (port) => measureRedis(port, options));
}

/**
 * Redis with its strongest durability (append-only file, fsync before every reply) for the
 * fsync-always put comparison: SET at 1 client and at `concurrentClientsCount` clients.
 */
export async function runRedisDurableBench(options: RedisBenchOptions & { concurrentClientsCount: number }): Promise<PeerResult> {
  if (!isExecutableOnPath("redis-server")) return { measurements: [], notes: [redisMissingNote] };
  return withRedis(["--save", "", "--appendonly", "yes", "--appendfsync", "always"], async (port) => {
    const label = { system: "redis", operation: "set", valueSizeBytes: options.valueSizeBytes, note: "appendfsync always" };
    const clients = await Promise.all(Array.from({ length: options.concurrentClientsCount }, () => RespClient.connect(port)));
    try {
      const senders = clients.map((client) => setSender(client, options));
      const single = await measureClosedLoop(label, senders.slice(0, 1), 1, options.durations);
      const concurrent = await measureClosedLoop(label, senders, 1, options.durations);
      return { measurements: [single, concurrent], notes: [] };
    } finally {
      for (const client of clients) client.close();
    }
  });
}

/** Starts redis-server with `persistence` arguments on a free port, runs `body`, stops it. */
async function withRedis<T>(persistence: string[], body: (port: number) => Promise<T>): Promise<T> {
  const directory = makeTempDirectory("redis");
  const port = findFreePort();
  const logPath = `${directory}/redis.log`;
  const server = spawnPeer(
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", ...persistence,
      "--dir", directory, "--protected-mode", "no", "--daemonize", "no"],
    logPath,
  );
  try {
    await waitForPort(port, server).catch(async (error: Error) => {
      throw new BenchError(`redis-server did not start: ${error.message} ${await readLogTail(logPath)}`);
    });
    return await body(port);
  } finally {
    await stopPeer(server);
    removeTempDirectory(directory);
  }
}

async function measureRedis(port: number, options: RedisBenchOptions): Promise<PeerResult> {
  const notes = ["redis: no persistence (--save \"\" --appendonly no); the Bun RESP client uses the same harness as FileStore"];
  const label = (operation: string) => ({ system: "redis", operation, valueSizeBytes: options.valueSizeBytes });
  const one = [await RespClient.connect(port)];
  const many = await Promise.all(Array.from({ length: options.throughputClientsCount }, () => RespClient.connect(port)));
  const measurements: Measurement[] = [];
  try {
    await populate(one[0], options);
    const getSenders = (clients: RespClient[]) => clients.map((client) => getSender(client, options));
    measurements.push(await measureClosedLoop(label("get"), getSenders(one), 1, options.durations));
    measurements.push(await measureClosedLoop(label("set"), one.map((c) => setSender(c, options)), 1, options.durations));
    const pipelined = await measureClosedLoop(label("get"), getSenders(many), options.throughputPipelineDepth, options.durations);
    measurements.push(pipelined);
    if (options.openLoopRatePerSecond !== undefined) {
      const rate = options.openLoopRatePerSecond;
      measurements.push(await measureOpenLoop(label("get"), getSenders(many), rate, options.openLoopInflightMax, options.durations));
    }
  } finally {
    for (const client of [...one, ...many]) client.close();
  }
  if (isExecutableOnPath("redis-benchmark")) {
    measurements.push(...(await runRedisBenchmark({
      port,
      clientsCount: options.throughputClientsCount,
      pipelineDepth: options.throughputPipelineDepth,
      valueSizeBytes: options.valueSizeBytes,
      keyspaceCount: options.keyspaceCount,
      requestsCount: options.redisBenchmarkRequestsCount,
    })));
  } else {
    notes.push("redis-benchmark not installed: only the Bun RESP client figures are shown");
  }
  return { measurements, notes };
}

/** Population batch: keeps the pipeline deep without queueing the whole keyspace at once. */
const populateBatchCount = 256;

async function populate(client: RespClient, options: RedisBenchOptions): Promise<void> {
  const value = benchValue();
  for (let start = 0; start < options.keyspaceCount; start += populateBatchCount) {
    const end = Math.min(options.keyspaceCount, start + populateBatchCount);
    const writes: Promise<unknown>[] = [];
    for (let index = start; index < end; index += 1) writes.push(client.send(encodeCommand(["SET", benchKey(index), value])));
    await Promise.all(writes);
  }
}

function getSender(client: RespClient, options: RedisBenchOptions): RequestSender {
  const commands = Array.from({ length: options.keyspaceCount }, (_, index) => encodeCommand(["GET", benchKey(index)]));
  let next = 0;
  return async () => {
    const reply = await client.send(commands[next]);
    next = (next + 1) % commands.length;
    if (reply === null || reply.length !== options.valueSizeBytes) {
      throw new BenchError(`redis GET returned ${reply === null ? "nil" : `${reply.length} bytes`}`);
    }
  };
}

function setSender(client: RespClient, options: RedisBenchOptions): RequestSender {
  const value = benchValue(1);
  const commands = Array.from({ length: options.keyspaceCount }, (_, index) => encodeCommand(["SET", benchKey(index), value]));
  let next = 0;
  return async () => {
    await client.send(commands[next]);
    next = (next + 1) % commands.length;
  };
}
