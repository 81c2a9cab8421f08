/**
 * The options of connect() as a table (name, bounds, default, why) and its validator. A bad or
 * unknown option makes connect reject with INVALID_REQUEST naming it; nothing is dialled.
 */
import type { ClientOptions } from "./types.ts";
import { checkInteger, checkOptionNames, invalidArgument, shown, timeoutMsMax } from "./option_checks.ts";

export interface ResolvedClientOptions {
  timeoutMs: number;
  connectTimeoutMs: number;
  inflightRequestsMax: number;
  queuedRequestsMax: number;
  frameSizeBytesMax: number;
}

interface IntegerOption {
  name: keyof ResolvedClientOptions;
  min: number;
  max: number;
  unit: string;
  /** The default; connectTimeoutMs defaults to timeoutMs instead (null). */
  default: number | null;
}

const mebibyte = 1024 * 1024;

const integerOptions: readonly IntegerOption[] = [
  { name: "timeoutMs", min: 1, max: timeoutMsMax, unit: "ms", default: 1000 },
  { name: "connectTimeoutMs", min: 1, max: timeoutMsMax, unit: "ms", default: null },
  // Above any server's inflight-per-connection-max: a larger window only queues on the server.
  { name: "inflightRequestsMax", min: 1, max: 1_048_576, unit: "", default: 4096 },
  // 0: no local queue (a call beyond the window fails at once); the top bounds the queue's memory.
  { name: "queuedRequestsMax", min: 0, max: 100_000_000, unit: "", default: 1_000_000 },
  // The server's own bounds of frame-size-bytes-max (src/config/settings.ts).
  { name: "frameSizeBytesMax", min: 64 * 1024, max: 256 * mebibyte, unit: "bytes", default: 16 * mebibyte },
];

const knownNames: ReadonlySet<string> = new Set([...integerOptions.map((option) => option.name), "cluster"]);

/** Checks every option (throws FileStoreError INVALID_REQUEST) and fills in the defaults. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  checkOptionNames("connect", options, knownNames);
  if (options.cluster !== undefined && typeof options.cluster !== "boolean") {
    throw invalidArgument("cluster", `cluster must be true or false; got ${shown(options.cluster)}`);
  }
  const given = options as Record<string, unknown>;
  const resolved: Record<string, number> = {};
  for (const option of integerOptions) {
    const value = given[option.name];
    if (value === undefined) continue;
    checkInteger(option.name, value, option.min, option.max, option.unit);
    resolved[option.name] = value as number;
  }
  for (const option of integerOptions) resolved[option.name] ??= option.default ?? resolved.timeoutMs!;
  return resolved as unknown as ResolvedClientOptions;
}
