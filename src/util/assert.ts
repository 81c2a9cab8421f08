/**
 * Invariant checks. A failed assertion means FileStore itself is wrong, so it throws an
 * AssertionError that nothing is meant to catch. Failures of the world (bad input, disk full,
 * timeouts) are typed errors returned or thrown to the caller instead, never assertions.
 */
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

/**
 * A failed invariant, for checks on hot paths written `if (!condition) fail(message)`: the
 * message (often a template with numbers) is then built only when the check fails, not on
 * every call as with assert().
 */
export function fail(message: string): never {
  throw new AssertionError(message);
}
