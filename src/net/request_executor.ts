/**
 * Runs a decoded request against the KeyValueService and shapes the reply. Reads answer in
 * the same turn when the service does; writes are deduplicated by (session, sequence) here, or
 * by the service itself when it has applyWithContext (a replicated state machine), then
 * handed to the service still as views into the receive buffer: the service stores (copies or
 * encodes) them before its first await, which is the one copy a write needs.
 */
import type { CommandResult, FoundValue, ScanPage } from "../engine/types";
import type { KeyValueService, ReadContext } from "./key_value_service";
import {
  errorReply, foundGetReply, type ClusterNodeValue, type Reply, type Request, type ShardDescriptorValue,
  type ShardMapValue, type WriteOutcome,
} from "./messages";
import { isStatusName } from "../wire/status";
import type { WriteDeduplicator } from "./write_deduplicator";

export interface ExecutorContext {
  service: KeyValueService;
  deduplicator: WriteDeduplicator;
  serverInstanceId: Uint8Array;
  /** Receives failures the client only sees as INTERNAL. */
  logError: (message: string, error: unknown) => void;
  /** A scan page is cut short (with a cursor to resume) so its reply stays under this size. */
  replyBytesMax: number;
}

/** Vector headers, table and vtable of one scan entry in a reply: a generous upper bound. */
const scanEntryOverheadBytesMax = 64;

/** Metric label of a request: "get", "put", ..., "batch", "shard_map". */
export function operationName(request: Request): string {
  const body = request.body;
  if (body.kind === "write") return body.command.op;
  return body.kind === "shardMap" ? "shard_map" : body.kind;
}

export function execute(context: ExecutorContext, request: Request, receivedAtMs: number): Reply | Promise<Reply> {
  const body = request.body;
  switch (body.kind) {
    case "ping":
      return { status: "OK", message: "", leaderHint: "", result: { kind: "ping", serverInstanceId: context.serverInstanceId } };
    case "get":
      return executeGet(context, body.key, readContext(request, receivedAtMs));
    case "scan":
      return settle(context, () => context.service.scan(body.options, readContext(request, receivedAtMs)), (page) => scanReply(page, context.replyBytesMax));
    case "write":
      return executeWrite(context, request, receivedAtMs);
    case "shardMap": {
      const service = context.service;
      if (service.shardMap === undefined) return shardMapReply(null);
      return settle(context, () => service.shardMap!(), shardMapReply);
    }
  }
}

function shardMapReply(map: ShardMapValue | null): Reply {
  return { status: "OK", message: "", leaderHint: "", result: { kind: "shardMap", map } };
}

function readContext(request: Request, receivedAtMs: number): ReadContext {
  return {
    consistency: request.consistency,
    maxStalenessMs: request.maxStalenessMs,
    deadlineAtMs: deadlineAtMs(receivedAtMs, request.deadlineMs),
    trace: request.trace,
    shard: request.shard,
    shardEpoch: request.shardEpoch,
  };
}

/** When a request received at `receivedAtMs` with the budget `deadlineMs` (0: none) is no longer waited for. */
export function deadlineAtMs(receivedAtMs: number, deadlineMs: number): number {
  return deadlineMs === 0 ? Infinity : receivedAtMs + deadlineMs;
}

/** settle() for a get, without its closures: this runs for every get. */
function executeGet(context: ExecutorContext, key: Uint8Array, readContext: ReadContext): Reply | Promise<Reply> {
  const found = lookUpGet(context, key, 0, key.length, readContext);
  return isFoundValue(found) ? getReply(found) : found;
}

/**
 * A get of the key held in bytes[start, end), for the server's laid-out get path: a value found
 * at once comes back as itself, which the server writes straight into the reply layout without
 * a Reply object (fewer objects per get, so fewer collections under load); anything else (not
 * found, a failure, a read that waits) comes back as the reply executeGet would give. Services
 * with getAt look the key up in place; others get a view of it.
 */
export function lookUpGet(context: ExecutorContext, bytes: Uint8Array, start: number, end: number, readContext: ReadContext): FoundValue | Reply | Promise<Reply> {
  const service = context.service;
  let found: FoundValue | null | Promise<FoundValue | null>;
  try {
    found = service.getAt !== undefined ? service.getAt(bytes, start, end, readContext) : service.get(bytes.subarray(start, end), readContext);
  } catch (error) {
    return failureReply(error, context.logError);
  }
  if (found instanceof Promise) return found.then(getReply, (error: unknown) => failureReply(error, context.logError));
  return found === null ? getReply(null) : found;
}

export function isFoundValue(found: FoundValue | Reply | Promise<Reply>): found is FoundValue {
  return !(found instanceof Promise) && "value" in found;
}

function executeWrite(context: ExecutorContext, request: Request, receivedAtMs: number): Promise<Reply> {
  const command = (request.body as Extract<Request["body"], { kind: "write" }>).command;
  const service = context.service;
  if (service.applyWithContext !== undefined) {
    // The service deduplicates identified writes in its replicated state machine, which a resend
    // after a failover reaches too; a table in this process would not.
    const writeContext = {
      deadlineAtMs: deadlineAtMs(receivedAtMs, request.deadlineMs),
      sessionId: request.sessionId,
      sequence: request.sequence,
      oldestPendingSequence: request.oldestPendingSequence,
      shard: request.shard,
      shardEpoch: request.shardEpoch,
    };
    return replyWhenApplied(context, () => service.applyWithContext!(command, writeContext));
  }
  const apply = () => replyWhenApplied(context, () => service.apply(command));
  if (request.sessionId === null || request.sequence === 0) return apply();
  const outcome = context.deduplicator.findOrApply(request.sessionId, request.sequence, request.oldestPendingSequence, apply);
  if (outcome !== "forgotten") return outcome;
  return Promise.resolve(errorReply("CONFLICT", `sequence ${request.sequence} is older than the deduplication window; its outcome is unknown`));
}

/** settle() for a write: one then() with a failure handler made once per context, as this runs for every write. */
function replyWhenApplied(context: ExecutorContext, run: () => Promise<CommandResult>): Promise<Reply> {
  try {
    return run().then(writeReply, failureHandlerOf(context));
  } catch (error) {
    return Promise.resolve(failureReply(error, context.logError));
  }
}

const failureHandlers = new WeakMap<ExecutorContext, (error: unknown) => Reply>();

function failureHandlerOf(context: ExecutorContext): (error: unknown) => Reply {
  let handler = failureHandlers.get(context);
  if (handler === undefined) {
    handler = (error) => failureReply(error, context.logError);
    failureHandlers.set(context, handler);
  }
  return handler;
}

/** Calls `run`, shapes its value with `shape`, and turns any failure into a typed reply; stays synchronous when `run` does. */
function settle<T>(context: ExecutorContext, run: () => T | Promise<T>, shape: (value: T) => Reply): Reply | Promise<Reply> {
  const fail = (error: unknown) => failureReply(error, context.logError);
  let value: T | Promise<T>;
  try {
    value = run();
  } catch (error) {
    return fail(error);
  }
  if (value instanceof Promise) return value.then(shape, fail);
  return shape(value);
}

/**
 * A typed reply for an error carrying a wire status `code` (WRONG_SHARD with the descriptors and
 * nodes of a WrongShardError); anything else is logged and answered INTERNAL.
 */
function failureReply(error: unknown, logError: ExecutorContext["logError"]): Reply {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "WRONG_SHARD") return wrongShardReply(error as Error & Partial<Record<"shards" | "nodes", unknown>>);
  if (isStatusName(code) && code !== "OK") {
    const hint = (error as { leaderHint?: unknown }).leaderHint;
    return errorReply(code, (error as Error).message ?? code, typeof hint === "string" ? hint : "");
  }
  logError("request failed", error);
  return errorReply("INTERNAL", "internal error");
}

function wrongShardReply(error: Error & Partial<Record<"shards" | "nodes", unknown>>): Reply {
  const shards = Array.isArray(error.shards) ? error.shards as ShardDescriptorValue[] : [];
  const nodes = Array.isArray(error.nodes) ? error.nodes as ClusterNodeValue[] : [];
  const result = { kind: "wrongShard" as const, shards, nodes };
  return { status: "WRONG_SHARD", message: error.message ?? "", leaderHint: "", result };
}

function getReply(entry: FoundValue | null): Reply {
  if (entry === null) return errorReply("NOT_FOUND", "");
  return foundGetReply(entry.value, entry.version);
}

function scanReply(page: ScanPage, replyBytesMax: number): Reply {
  let entries = page.entries;
  let nextCursor = page.nextCursor;
  let replyBytes = 0;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    replyBytes += entry.key.length + entry.value.length + scanEntryOverheadBytesMax;
    // Always keep the first entry: a single entry fits a frame (key and value limits see to it).
    if (replyBytes > replyBytesMax && index > 0) {
      entries = entries.slice(0, index);
      nextCursor = entries[index - 1]!.key;
      break;
    }
  }
  return { status: "OK", message: "", leaderHint: "", result: { kind: "scan", entries, nextCursor } };
}

function outcomeOf(result: CommandResult): WriteOutcome {
  switch (result.op) {
    case "put":
      return { applied: true, version: result.version };
    case "delete":
      return { applied: result.existed, version: result.version };
    case "cas":
      return { applied: result.succeeded, version: result.version };
    case "batch":
      return { applied: result.succeeded, version: result.version };
  }
}

function writeReply(result: CommandResult): Reply {
  if (result.op !== "batch") return { status: "OK", message: "", leaderHint: "", result: { kind: "write", outcome: outcomeOf(result) } };
  return {
    status: "OK", message: "", leaderHint: "",
    result: { kind: "batch", succeeded: result.succeeded, version: result.version, results: result.results.map(outcomeOf) },
  };
}
