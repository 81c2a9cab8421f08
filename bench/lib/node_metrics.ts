/**
 * Reading a FileStore node's counters from its admin endpoint's /metrics (Prometheus text), e.g.
 * the count of fdatasyncs (`filestore_fsync_duration_seconds_count`) or of peer messages sent:
 * the benchmark reads them before and after a measured window and reports the difference.
 */
import { BenchError } from "./errors.ts";

/** A scrape answers within this time on a healthy node, even a loaded one. */
const scrapeTimeoutMilliseconds = 5_000;

/**
 * The value of metric `name` in the exposition `text`: its samples summed over every label set
 * (a counter split by label adds up to the node's total). BenchError when no sample has that name.
 */
export function metricTotal(text: string, name: string): number {
  let total = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || line.startsWith("#")) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue; // a longer name that starts the same
    const value = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (!Number.isFinite(value)) throw new BenchError(`metric ${name} has no numeric value: ${line}`);
    total += value;
    found = true;
  }
  if (!found) throw new BenchError(`the node's /metrics has no ${name}`);
  return total;
}

/** The /metrics text of the node whose admin endpoint is at `adminAddress` (HOST:PORT). */
export async function scrapeMetrics(adminAddress: string): Promise<string> {
  const signal = AbortSignal.timeout(scrapeTimeoutMilliseconds);
  const response = await fetch(`http://${adminAddress}/metrics`, { signal });
  if (response.status !== 200) throw new BenchError(`GET /metrics on ${adminAddress} answered ${response.status}`);
  return response.text();
}
