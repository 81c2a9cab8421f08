/**
 * The shape every network benchmark shares, so FileStore, the loopback floor and Redis are
 * measured under the same load. One place to change it; each value says why it was chosen.
 */

/** Value size of gets and puts: a typical order or balance record in a trading system. */
export const valueSizeBytes = 100;
/** Key size: e.g. "orders/u123/o991", padded to a fixed width so every request is the same size. */
export const keySizeBytes = 16;
/** Keys written before the get runs, so gets hit existing keys spread over the index. */
export const keyspaceCount = 10_000;
/** Connections of the pipelined throughput run: enough to load both cores, few enough for one client process. */
export const throughputClientsCount = 4;
/** Requests in flight per connection in the throughput run (redis-benchmark -P). */
export const throughputPipelineDepth = 32;
/** Concurrent clients of the group-commit run, as in the target (64 writers). */
export const concurrentWritersCount = 64;
/** Warm-up before each measured run: JIT, connection buffers and caches settle in this time. */
export const warmupMilliseconds = 500;
/** Measured window of each run: long enough for a stable P99.9 at tens of thousands of requests per second. */
export const measureMilliseconds = 3_000;
/** Open-loop runs aim at this fraction of the measured maximum throughput. */
export const openLoopRateFraction = 0.5;
/** Bound on requests in flight in open-loop runs; beyond it requests queue and their wait counts as latency. */
export const openLoopInflightMax = 1024;

export interface RunDurations {
  warmupMilliseconds: number;
  measureMilliseconds: number;
}

export const defaultDurations: RunDurations = { warmupMilliseconds, measureMilliseconds };

/** A fixed-width key for index `index`, "k" followed by zero-padded digits. */
export function benchKey(index: number): string {
  return `k${String(index).padStart(keySizeBytes - 1, "0")}`;
}

/** A value of `valueSizeBytes` bytes with a recognisable pattern. */
export function benchValue(seed = 0): Uint8Array {
  const value = new Uint8Array(valueSizeBytes);
  for (let index = 0; index < valueSizeBytes; index += 1) value[index] = (seed + index) & 0xff;
  return value;
}

/**
 * Distance in the keyspace between the first keys of successive clients: a prime, so clients
 * walking the keyspace one key at a time never move in lockstep over the same keys.
 */
export const clientKeyStride = 7919;
/** Requests in flight while populating a store: deep enough for group commit, bounded to spare memory. */
export const populateBatchCount = 256;
