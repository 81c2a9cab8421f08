/**
 * Redis as the peer a user would otherwise pick: redis-server started on a free 127.0.0.1 port
 * in a temporary directory, either without persistence (for gets and pipelined throughput) or
 * with its strongest durability (append-only file, fsync before every reply) for the
 * fsync-always write comparison. Driven by a small RESP client in Bun through the same harness
 * and load shape as FileStore, and by redis-benchmark (redis_benchmark.ts).
 */
import { isExecutableOnPath, startListeningPeer } from "../lib/child_process.ts";
import * as defaults from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import type { RequestSender } from "../lib/load.ts";
import type { RunningServer, SenderPool } from "./loopback.ts";
import { RespClient, encodeCommand } from "./resp_client.ts";

export const redisMissingNote = "redis skipped: redis-server is not installed (apt-get install -y redis-server)";

export function isRedisInstalled(): boolean {
  return isExecutableOnPath("redis-server");
}

export type RedisPersistence = "none" | "appendfsync-always";

const persistenceArguments: Record<RedisPersistence, string[]> = {
  none: ["--save", "", "--appendonly", "no"],
  "appendfsync-always": ["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
};

export function startRedis(persistence: RedisPersistence): Promise<RunningServer> {
  return startListeningPeer("redis", (port, directory) => [
    "redis-server", "--port", String(port), "--bind", "127.0.0.1", ...persistenceArguments[persistence],
    "--dir", directory, "--protected-mode", "no", "--daemonize", "no",
  ]);
}

export async function connectRedis(port: number, count: number): Promise<RespClient[]> {
  return Promise.all(Array.from({ length: count }, () => RespClient.connect(port)));
}

export function closeRedis(clients: RespClient[]): SenderPool["close"] {
  return async () => {
    for (const client of clients) client.close();
  };
}

/** SETs every bench key to the bench value, so GETs hit. */
export async function populateRedis(client: RespClient): Promise<void> {
  const value = defaults.benchValue();
  for (let start = 0; start < defaults.keyspaceCount; start += defaults.populateBatchCount) {
    const end = Math.min(defaults.keyspaceCount, start + defaults.populateBatchCount);
    const writes: Promise<unknown>[] = [];
    for (let index = start; index < end; index += 1) writes.push(client.send(encodeCommand(["SET", defaults.benchKey(index), value])));
    await Promise.all(writes);
  }
}

const getCommands = Array.from({ length: defaults.keyspaceCount }, (_, index) => encodeCommand(["GET", defaults.benchKey(index)]));
const setCommands = Array.from({ length: defaults.keyspaceCount }, (_, index) =>
  encodeCommand(["SET", defaults.benchKey(index), defaults.benchValue(1)]));

/** Each client walks the keyspace from its own offset; every reply must be a whole value. */
export function redisGetSenders(clients: RespClient[]): RequestSender[] {
  return clients.map((client, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      const reply = await client.send(getCommands[next % getCommands.length]);
      next += 1;
      if (reply === null || reply.length !== defaults.valueSizeBytes) {
        throw new BenchError(`redis GET returned ${reply === null ? "nil" : `${reply.length} bytes`}`);
      }
    };
  });
}

export function redisSetSenders(clients: RespClient[]): RequestSender[] {
  return clients.map((client, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      await client.send(setCommands[next % setCommands.length]);
      next += 1;
    };
  });
}
