/**
 * Every bound of the client-port server, in one table: name, default, allowed range and why.
 * A deployment overrides any of them through `resolveLimits(overrides)`, which rejects an
 * unknown name, a non-integer or an out-of-range value with a `LimitsError` naming the field,
 * then checks the relationships between limits.
 *
 * The bounds on data (key, value, batch, scan page) are the engine's (src/engine/limits.ts),
 * one source each: each is the default and the ceiling here, so a deployment may lower one but
 * never accept at the port what the engine would refuse. A request over them gets TOO_LARGE
 * from the request decoder, before any service sees it.
 */
import * as engineLimits from "../engine/limits.ts";
import { assert } from "../util/assert.ts";

export interface ServerLimits {
  frameSizeBytesMax: number;
  keySizeBytesMax: number;
  valueSizeBytesMax: number;
  batchOperationsMax: number;
  scanPageEntriesMax: number;
  scanPageEntriesDefault: number;
  sessionIdBytesMax: number;
  inflightRequestsPerConnectionMax: number;
  inflightRequestsPerServerMax: number;
  connectionsMax: number;
  outputBufferedBytesMax: number;
  receiveBufferBytesInitial: number;
  idleTimeoutMs: number;
  frameReceiveTimeoutMs: number;
  sweepIntervalMs: number;
  dedupSessionsMax: number;
  dedupWritesPerSessionMax: number;
}

interface LimitDefinition {
  defaultValue: number;
  min: number;
  max: number;
  why: string;
}

const mebibyte = 1024 * 1024;

export const limitDefinitions: Record<keyof ServerLimits, LimitDefinition> = {
  frameSizeBytesMax: {
    defaultValue: 16 * mebibyte, min: 1024, max: 1024 * mebibyte,
    why: "one frame is buffered whole before it is verified; bounds memory per connection",
  },
  keySizeBytesMax: {
    defaultValue: engineLimits.keySizeBytesMax, min: 1, max: engineLimits.keySizeBytesMax,
    why: "the engine's key limit: keys live in the in-memory indexes; long keys crowd out the working set",
  },
  valueSizeBytesMax: {
    defaultValue: engineLimits.valueSizeBytesMax, min: 1, max: engineLimits.valueSizeBytesMax,
    why: "the engine's value limit: a value is one log record; large values stall the log for everyone behind them",
  },
  batchOperationsMax: {
    defaultValue: engineLimits.batchCommandsMax, min: 1, max: engineLimits.batchCommandsMax,
    why: "the engine's batch limit: a batch applies atomically in one revision; bounded to keep that step short",
  },
  scanPageEntriesMax: {
    defaultValue: engineLimits.scanEntriesMax, min: 1, max: engineLimits.scanEntriesMax,
    why: "the engine's scan page: built in one event-loop turn; bounds that pause and the reply size",
  },
  scanPageEntriesDefault: {
    defaultValue: 1000, min: 1, max: engineLimits.scanEntriesMax,
    why: "page size when a scan request leaves its limit at 0",
  },
  sessionIdBytesMax: {
    defaultValue: 64, min: 8, max: 1024,
    why: "session ids are kept in the deduplication table; a client needs far fewer bytes",
  },
  inflightRequestsPerConnectionMax: {
    defaultValue: 8192, min: 1, max: 1_000_000,
    why: "past it a connection's requests get Overloaded instead of queueing without bound",
  },
  inflightRequestsPerServerMax: {
    defaultValue: 65_536, min: 1, max: 10_000_000,
    why: "bounds memory held by unanswered requests across all connections",
  },
  connectionsMax: {
    defaultValue: 1024, min: 1, max: 1_000_000,
    why: "each connection holds buffers and a file descriptor; a flood is refused past it",
  },
  outputBufferedBytesMax: {
    defaultValue: 4 * mebibyte, min: 1024, max: 1024 * mebibyte,
    why: "replies the socket has not taken yet; past it the server stops reading that connection",
  },
  receiveBufferBytesInitial: {
    defaultValue: 64 * 1024, min: 16, max: 1024 * mebibyte,
    why: "starting size of the reusable per-connection buffer for partial frames; grows to a frame",
  },
  idleTimeoutMs: {
    defaultValue: 300_000, min: 10, max: 86_400_000,
    why: "a connection that sends nothing for this long is closed, freeing its slot",
  },
  frameReceiveTimeoutMs: {
    defaultValue: 10_000, min: 10, max: 3_600_000,
    why: "a frame started, or the first frame of a connection, must arrive within this: slow or silent clients lose their slot",
  },
  sweepIntervalMs: {
    defaultValue: 1000, min: 5, max: 60_000,
    why: "how often idle and unfinished-frame deadlines are checked; their resolution",
  },
  dedupSessionsMax: {
    defaultValue: 10_000, min: 1, max: 10_000_000,
    why: "client sessions remembered for write deduplication; the least recently used is forgotten",
  },
  dedupWritesPerSessionMax: {
    defaultValue: 8192, min: 1, max: 1_000_000,
    why: "results remembered per session; must cover a client's writes in flight",
  },
};

export class LimitsError extends Error {
  override name = "LimitsError";
  constructor(readonly field: string, message: string) {
    super(`limit ${field}: ${message}`);
  }
}

/** The defaults with `overrides` applied, validated field by field and as a whole. */
export function resolveLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  const limits = {} as ServerLimits;
  for (const name of Object.keys(limitDefinitions) as Array<keyof ServerLimits>) {
    limits[name] = limitDefinitions[name].defaultValue;
  }
  for (const [name, value] of Object.entries(overrides)) {
    const definition = limitDefinitions[name as keyof ServerLimits];
    if (definition === undefined) throw new LimitsError(name, "unknown limit");
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new LimitsError(name, `must be an integer, got ${String(value)}`);
    }
    if (value < definition.min || value > definition.max) {
      throw new LimitsError(name, `${value} is outside ${definition.min}..${definition.max}`);
    }
    limits[name as keyof ServerLimits] = value;
  }
  checkRelationships(limits);
  return limits;
}

/**
 * Envelope, tables and vector headers around a key and value: generous upper bound (a put with
 * the largest session id and a trace context measures under 300 bytes).
 */
export const frameOverheadBytesMax = 512;

function checkRelationships(limits: ServerLimits): void {
  if (limits.keySizeBytesMax + limits.valueSizeBytesMax + frameOverheadBytesMax > limits.frameSizeBytesMax) {
    throw new LimitsError("frameSizeBytesMax", "must hold a put of the largest key and value");
  }
  if (limits.scanPageEntriesDefault > limits.scanPageEntriesMax) {
    throw new LimitsError("scanPageEntriesDefault", "must not exceed scanPageEntriesMax");
  }
  if (limits.inflightRequestsPerConnectionMax > limits.inflightRequestsPerServerMax) {
    throw new LimitsError("inflightRequestsPerConnectionMax", "must not exceed inflightRequestsPerServerMax");
  }
  if (limits.dedupWritesPerSessionMax < limits.inflightRequestsPerConnectionMax) {
    throw new LimitsError("dedupWritesPerSessionMax", "must cover inflightRequestsPerConnectionMax");
  }
  if (limits.receiveBufferBytesInitial > limits.frameSizeBytesMax + 4) {
    throw new LimitsError("receiveBufferBytesInitial", "must not exceed one whole frame");
  }
}

// The table itself holds together: each default within its range, and the defaults together.
for (const [name, { min, defaultValue, max }] of Object.entries(limitDefinitions)) {
  assert(min <= defaultValue && defaultValue <= max, `limit ${name}: default outside its range`);
}
resolveLimits();
