/**
 * Checks of per-call options, run only when a call is given an options object (the plain
 * get/put path pays nothing) and cheap when it is: a walk over the object's few keys and a
 * type test per value. Each failure throws FileStoreError INVALID_REQUEST naming the option;
 * the public methods turn that into a rejected promise.
 */
import type { RequestOptions, ScanRequestOptions, WriteOptions } from "./types.ts";
import { checkInteger, checkOptionNames, invalidArgument, shown, timeoutMsMax } from "./option_checks.ts";

/** The wire carries max_staleness_ms as a u32. */
const maxStalenessMsMax = 0xffff_ffff;
/** Scan entries the client accepts in one reply (wire_connection.ts replyTablesPerVectorMax). */
const scanPageSizeMax = 1_000_000;
const traceIdBytes = 16;
const spanIdBytes = 8;

const writeNames: ReadonlySet<string> = new Set(["timeoutMs", "trace"]);
const readNames: ReadonlySet<string> = new Set([...writeNames, "consistency", "maxStalenessMs"]);
const scanNames: ReadonlySet<string> = new Set([...readNames, "prefix", "start", "end", "limit", "pageSize", "cursor"]);

export function checkWriteOptions(options: WriteOptions): void {
  checkOptionNames("write", options, writeNames);
  checkCommon(options);
}

export function checkReadOptions(options: RequestOptions): void {
  checkOptionNames("read", options, readNames);
  checkCommon(options);
  checkConsistency(options);
}

export function checkScanOptions(options: ScanRequestOptions): void {
  checkOptionNames("scan", options, scanNames);
  checkCommon(options);
  checkConsistency(options);
  for (const name of ["prefix", "start", "end"] as const) checkBytes(name, options[name]);
  if (options.prefix !== undefined && (options.start !== undefined || options.end !== undefined)) {
    throw invalidArgument("prefix", "prefix cannot be combined with start or end: give a prefix or a range");
  }
  if (options.limit !== undefined) checkInteger("limit", options.limit, 1, Number.MAX_SAFE_INTEGER);
  if (options.pageSize !== undefined) checkInteger("pageSize", options.pageSize, 1, scanPageSizeMax);
  if (options.cursor !== undefined && typeof options.cursor !== "string") {
    throw invalidArgument("cursor", `cursor must be a string a scan page returned; got ${shown(options.cursor)}`);
  }
}

function checkCommon(options: WriteOptions): void {
  if (options.timeoutMs !== undefined) checkInteger("timeoutMs", options.timeoutMs, 1, timeoutMsMax, "ms");
  if (options.trace !== undefined) checkTrace(options.trace);
}

function checkConsistency(options: RequestOptions): void {
  const { consistency, maxStalenessMs } = options;
  if (consistency === "bounded") {
    if (maxStalenessMs === undefined) {
      const what = "how far behind a replica may be, in ms";
      throw invalidArgument("maxStalenessMs", `consistency "bounded" needs maxStalenessMs (${what})`);
    }
    checkInteger("maxStalenessMs", maxStalenessMs, 1, maxStalenessMsMax, "ms");
    return;
  }
  if (consistency !== undefined && consistency !== "strong" && consistency !== "eventual") {
    const levels = `"strong", "bounded" or "eventual"`;
    throw invalidArgument("consistency", `consistency must be ${levels}; got ${shown(consistency)}`);
  }
  if (maxStalenessMs !== undefined) {
    const given = shown(consistency ?? "strong");
    const message = `maxStalenessMs applies only with consistency "bounded"; got consistency ${given}`;
    throw invalidArgument("maxStalenessMs", message);
  }
}

function checkTrace(trace: unknown): void {
  const fields = (typeof trace === "object" && trace !== null ? trace : {}) as Partial<Record<string, unknown>>;
  if (isBytesOfLength(fields.traceId, traceIdBytes) && isBytesOfLength(fields.spanId, spanIdBytes)) return;
  const shape = `{ traceId: ${traceIdBytes} bytes, spanId: ${spanIdBytes} bytes } (Uint8Arrays)`;
  throw invalidArgument("trace", `trace must be ${shape}`);
}

function isBytesOfLength(value: unknown, length: number): boolean {
  return value instanceof Uint8Array && value.length === length;
}

function checkBytes(name: string, value: unknown): void {
  if (value === undefined || typeof value === "string" || value instanceof Uint8Array) return;
  throw invalidArgument(name, `${name} must be a string or a Uint8Array; got ${shown(value)}`);
}
