/**
 * Checks of requests from the outside world before they touch any state. Each failure is an
 * EngineError naming the field, so a bad request harms nobody else.
 */
import { EngineError } from "./errors.ts";
import { batchCommandsMax, keySizeBytesMax, recordSizeBytesMax, scanEntriesMax, valueSizeBytesMax } from "./limits.ts";
import { operationHeaderBytes, recordHeaderBytes } from "./record_codec.ts";
import type { Command, ScanOptions } from "./types.ts";

export function validateKey(key: unknown, field = "key"): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new EngineError("INVALID_REQUEST", `${field} must be a Uint8Array`);
  validateKeyLength(key.length, field);
}

/** The length checks of validateKey, for a key given as a range of a buffer. */
export function validateKeyLength(length: number, field = "key"): void {
  if (length === 0) throw new EngineError("INVALID_REQUEST", `${field} must not be empty`);
  if (length > keySizeBytesMax) {
    throw new EngineError("TOO_LARGE", `${field} is ${length} bytes, over keySizeBytesMax ${keySizeBytesMax}`);
  }
}

function validateValue(value: unknown, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new EngineError("INVALID_REQUEST", `${field} must be a Uint8Array`);
  if (value.length > valueSizeBytesMax) {
    throw new EngineError("TOO_LARGE", `${field} is ${value.length} bytes, over valueSizeBytesMax ${valueSizeBytesMax}`);
  }
}

/** Validates one non-batch command; returns the bytes it adds to a record. */
function validateSimpleCommand(command: unknown): number {
  if (typeof command !== "object" || command === null) throw new EngineError("INVALID_REQUEST", "command must be an object");
  const candidate = command as Record<string, unknown>;
  validateKey(candidate.key);
  switch (candidate.op) {
    case "put":
      validateValue(candidate.value, "value");
      return operationHeaderBytes + candidate.key.length + candidate.value.length;
    case "delete":
      return operationHeaderBytes + candidate.key.length;
    case "cas":
      if (candidate.expected !== null) validateValue(candidate.expected, "expected");
      validateValue(candidate.value, "value");
      return operationHeaderBytes + candidate.key.length + candidate.value.length;
    default:
      throw new EngineError("INVALID_REQUEST", `unknown op ${String(candidate.op)}`);
  }
}

export function validateCommand(command: unknown): asserts command is Command {
  if (typeof command !== "object" || command === null) throw new EngineError("INVALID_REQUEST", "command must be an object");
  const candidate = command as Record<string, unknown>;
  let recordBytes = recordHeaderBytes;
  if (candidate.op === "batch") {
    if (!Array.isArray(candidate.commands)) throw new EngineError("INVALID_REQUEST", "batch commands must be an array");
    if (candidate.commands.length > batchCommandsMax) {
      throw new EngineError("TOO_LARGE", `batch has ${candidate.commands.length} commands, over batchCommandsMax ${batchCommandsMax}`);
    }
    for (const inner of candidate.commands) {
      if ((inner as { op?: unknown } | null)?.op === "batch") throw new EngineError("INVALID_REQUEST", "batches do not nest");
      recordBytes += validateSimpleCommand(inner);
    }
  } else {
    recordBytes += validateSimpleCommand(command);
  }
  if (recordBytes > recordSizeBytesMax) {
    throw new EngineError("TOO_LARGE", `command needs ${recordBytes} bytes, over recordSizeBytesMax ${recordSizeBytesMax}`);
  }
}

function validateBound(bound: unknown, field: string): void {
  if (bound === undefined) return;
  if (!(bound instanceof Uint8Array)) throw new EngineError("INVALID_REQUEST", `${field} must be a Uint8Array`);
  if (bound.length > keySizeBytesMax) throw new EngineError("TOO_LARGE", `${field} is over keySizeBytesMax ${keySizeBytesMax}`);
}

/** Validates scan options; returns the page size, capped at scanEntriesMax. */
export function validateScanOptions(options: ScanOptions): number {
  if (typeof options !== "object" || options === null) throw new EngineError("INVALID_REQUEST", "scan options must be an object");
  if (!Number.isInteger(options.limit) || options.limit <= 0) {
    throw new EngineError("INVALID_REQUEST", "scan limit must be a positive integer");
  }
  validateBound(options.prefix, "prefix");
  validateBound(options.start, "start");
  validateBound(options.end, "end");
  validateBound(options.cursor, "cursor");
  return Math.min(options.limit, scanEntriesMax);
}

export function validateRaftIndex(raftIndex: unknown, appliedRaftIndex: number): void {
  if (raftIndex === undefined) return;
  if (!Number.isSafeInteger(raftIndex) || (raftIndex as number) <= 0) {
    throw new EngineError("INVALID_REQUEST", "raftIndex must be a positive safe integer");
  }
  if ((raftIndex as number) <= appliedRaftIndex) {
    throw new EngineError("INVALID_REQUEST", `raftIndex ${raftIndex} is not after the applied ${appliedRaftIndex}`);
  }
}
