/**
 * Runs Redis's own `redis-benchmark` (a C client, so the strongest figure Redis can show) and
 * parses its CSV. It reports P50/P99/max in milliseconds but no P99.9, which stays NaN.
 */
import { BenchError } from "../lib/errors.ts";
import type { Measurement } from "../lib/result.ts";

export interface RedisBenchmarkRun {
  port: number;
  clientsCount: number;
  pipelineDepth: number;
  valueSizeBytes: number;
  keyspaceCount: number;
  /** Requests per test; redis-benchmark runs by count, not time. */
  requestsCount: number;
}

/** Bound on one redis-benchmark run, far above the second or two it needs. */
const redisBenchmarkTimeoutMilliseconds = 60_000;

export async function runRedisBenchmark(run: RedisBenchmarkRun): Promise<Measurement[]> {
  const command = [
    "redis-benchmark", "-h", "127.0.0.1", "-p", String(run.port),
    "-c", String(run.clientsCount), "-P", String(run.pipelineDepth),
    "-d", String(run.valueSizeBytes), "-r", String(run.keyspaceCount),
    "-n", String(run.requestsCount), "-t", "set,get", "--csv",
  ];
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe", timeout: redisBenchmarkTimeoutMilliseconds });
  const [output, errorOutput, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode !== 0) throw new BenchError(`redis-benchmark exited with ${exitCode}: ${errorOutput.slice(0, 300)}`);
  return parseRedisBenchmarkCsv(output).map((row) => ({
    system: "redis",
    operation: row.test.toLowerCase(),
    source: "redis-benchmark",
    shape: {
      valueSizeBytes: run.valueSizeBytes,
      clients: run.clientsCount,
      pipelineDepth: run.pipelineDepth,
      loop: "closed",
    },
    latency: {
      count: run.requestsCount,
      p50Microseconds: row.p50Milliseconds * 1000,
      p99Microseconds: row.p99Milliseconds * 1000,
      p999Microseconds: Number.NaN,
      maxMicroseconds: row.maxMilliseconds * 1000,
      meanMicroseconds: row.meanMilliseconds * 1000,
    },
    throughputPerSecond: row.requestsPerSecond,
  }));
}

export interface RedisBenchmarkRow {
  test: string;
  requestsPerSecond: number;
  meanMilliseconds: number;
  p50Milliseconds: number;
  p99Milliseconds: number;
  maxMilliseconds: number;
}

/** Parses `redis-benchmark --csv` output (Redis 7: test, rps, avg, min, p50, p95, p99, max). */
export function parseRedisBenchmarkCsv(output: string): RedisBenchmarkRow[] {
  const lines = output.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  if (lines.length < 2) throw new BenchError(`redis-benchmark printed no results: ${output.slice(0, 200)}`);
  const header = splitCsvLine(lines[0]);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new BenchError(`redis-benchmark CSV has no "${name}" column`);
    return index;
  };
  const columns = {
    test: column("test"),
    rps: column("rps"),
    mean: column("avg_latency_ms"),
    p50: column("p50_latency_ms"),
    p99: column("p99_latency_ms"),
    max: column("max_latency_ms"),
  };
  return lines.slice(1).map((line) => {
    const cells = splitCsvLine(line);
    return {
      test: cells[columns.test],
      requestsPerSecond: Number(cells[columns.rps]),
      meanMilliseconds: Number(cells[columns.mean]),
      p50Milliseconds: Number(cells[columns.p50]),
      p99Milliseconds: Number(cells[columns.p99]),
      maxMilliseconds: Number(cells[columns.max]),
    };
  });
}

function splitCsvLine(line: string): string[] {
  return line.split(",").map((cell) => cell.replace(/^"|"$/g, ""));
}
