/**
 * The input of `filestore batch`: JSON lines, one write each, as the client's BatchOperation.
 *   {"op":"put","key":"a","value":"1"}
 *   {"op":"delete","key":"b"}
 *   {"op":"cas","key":"c","expected":"old","value":"new"}    ("expected": null: c must be absent)
 * Strings are stored as their UTF-8 bytes; "keyBase64", "valueBase64" and "expectedBase64" carry
 * any other bytes (the spelling `get --json` and `scan --json` print). Blank lines are skipped.
 * A mistake names its line and is a usage error: nothing is sent.
 */
import type { BatchOperation } from "../client/types.ts";
import { assert } from "../util/assert.ts";
import { UsageError } from "./usage_error.ts";

const fieldsByOp: Record<string, readonly string[]> = {
  put: ["key", "value"],
  delete: ["key"],
  cas: ["key", "expected", "value"],
};
/** Standard base64 with padding, as Buffer's "base64" writes it. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseBatchLines(text: string): BatchOperation[] {
  const operations: BatchOperation[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === "") continue;
    operations.push(parseLine(line, (problem) => new UsageError(`batch: line ${index + 1}: ${problem}`, "batch")));
  }
  if (operations.length === 0) {
    throw new UsageError("batch: stdin holds no operations (one JSON object per line)", "batch");
  }
  return operations;
}

type Problem = (problem: string) => UsageError;

function parseLine(line: string, problem: Problem): BatchOperation {
  let object: unknown;
  try {
    object = JSON.parse(line);
  } catch {
    throw problem(`not a JSON object: ${line.length > 60 ? `${line.slice(0, 60)}...` : line}`);
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) throw problem("not a JSON object");
  const record = object as Record<string, unknown>;
  const op = record.op;
  const fields = typeof op === "string" ? fieldsByOp[op] : undefined;
  if (fields === undefined) {
    throw problem(`"op" must be one of ${Object.keys(fieldsByOp).join(", ")}, got ${JSON.stringify(op)}`);
  }
  const allowed = new Set(["op", ...fields.flatMap((field) => [field, `${field}Base64`])]);
  const unknown = Object.keys(record).find((name) => !allowed.has(name));
  if (unknown !== undefined) {
    throw problem(`unknown field "${unknown}" for op ${op} (fields: ${[...allowed].join(", ")})`);
  }
  const key = notNull(bytesField(record, "key", problem));
  if (op === "delete") return { op, key };
  const value = notNull(bytesField(record, "value", problem));
  if (op === "put") return { op, key, value };
  return { op: "cas", key, expected: bytesField(record, "expected", problem), value };
}

/** bytesField gives null only for "expected". */
function notNull(bytes: string | Uint8Array | null): string | Uint8Array {
  assert(bytes !== null, "batch input: a required field read as null");
  return bytes;
}

/** `field` as a string, or `fieldBase64` decoded; exactly one of them; null only for "expected". */
function bytesField(record: Record<string, unknown>, field: string, problem: Problem): string | Uint8Array | null {
  const text = record[field];
  const base64 = record[`${field}Base64`];
  if (text !== undefined && base64 !== undefined) throw problem(`give "${field}" or "${field}Base64", not both`);
  if (text === null && field === "expected") return null;
  if (typeof text === "string") return text;
  if (typeof base64 === "string") {
    if (!base64Pattern.test(base64)) throw problem(`"${field}Base64" is not valid base64`);
    return new Uint8Array(Buffer.from(base64, "base64"));
  }
  if (text === undefined && base64 === undefined) {
    const absent = field === "expected" ? ' (null: the key must be absent)' : "";
    throw problem(`missing "${field}"${absent}`);
  }
  throw problem(`"${field}" must be a string${field === "expected" ? " or null" : ""}`);
}
