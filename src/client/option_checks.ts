/**
 * The checks every client option shares: each failure is a FileStoreError INVALID_REQUEST that
 * names the option (`argument`), says what it must be and what it got, and is raised before
 * anything is sent. Unknown option names are refused too, with the closest known name.
 */
import { FileStoreError } from "./errors.ts";

/** setTimeout's longest delay (2^31-1 ms, about 24.8 days): a deadline past it would fire at once. */
export const timeoutMsMax = 2_147_483_647;

export function invalidArgument(argument: string, message: string): FileStoreError {
  return new FileStoreError("INVALID_REQUEST", message, "", argument);
}

/** How a value appears in an error: strings quoted, everything else as JavaScript prints it. */
export function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number, unit = ""): void {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return;
  const suffix = unit === "" ? "" : ` ${unit}`;
  throw invalidArgument(name, `${name} must be an integer from ${min} to ${max}${suffix}; got ${shown(value)}`);
}

/** Throws unless `options` is a plain object whose every key is in `known`. */
export function checkOptionNames(what: string, options: unknown, known: ReadonlySet<string>): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidArgument("options", `${what} options must be an object; got ${shown(options)}`);
  }
  for (const name in options) {
    if (known.has(name)) continue;
    const near = closestName(name, known);
    const hint = near === null ? `known: ${[...known].join(", ")}` : `did you mean ${near}?`;
    throw invalidArgument(name, `unknown ${what} option ${shown(name)}; ${hint}`);
  }
}

/** A known name equal to `name` but for case, or one of which it is a start or an end (timeout -> timeoutMs). */
function closestName(name: string, known: ReadonlySet<string>): string | null {
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const related = other.startsWith(lower) || other.endsWith(lower) || lower.startsWith(other);
    if (related) return candidate;
  }
  return null;
}
