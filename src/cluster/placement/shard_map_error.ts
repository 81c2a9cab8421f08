/**
 * The typed error for placement data received from outside the process (a shard map or a shard
 * descriptor from the coordinator, a WRONG_SHARD reply, a JSON document): it names what is wrong,
 * and the receiver refuses that input and carries on. A broken invariant of our own making is an
 * AssertionError instead (src/util/assert.ts).
 */
export class ShardMapError extends Error {
  override name = "ShardMapError";
}
