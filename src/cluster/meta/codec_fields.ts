/**
 * Field readers for the coordinator's formats (coordinator_codec.ts): each takes one decoded
 * msgpack value and returns it typed, or throws FieldError naming what it is not. The codec turns
 * a FieldError into its own MALFORMED refusal; these readers check shape only, never meaning.
 */
import type { HashBound } from "../placement/hash_range.ts";

export class FieldError extends Error {
  override name = "FieldError";
}

/** A safe integer (any sign: whether it is a valid id or count is judged elsewhere). */
export function integer(value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new FieldError(`${String(value)} is not an integer`);
  return value as number;
}

export function text(value: unknown): string {
  if (typeof value !== "string") throw new FieldError(`${String(value)} is not a string`);
  return value;
}

/** An array of any length. */
export function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new FieldError("a list is not an array");
  return value;
}

/** An array of exactly `length` elements. */
export function tuple(value: unknown, length: number): unknown[] {
  const fields = list(value);
  if (fields.length !== length) throw new FieldError(`a tuple of ${fields.length} fields, not ${length}`);
  return fields;
}

/** A range bound as [high, low] (whether it is a bound of the space is checked with the shard map). */
export function bound(value: unknown): HashBound {
  const [high, low] = tuple(value, 2);
  return { high: integer(high), low: integer(low) };
}

