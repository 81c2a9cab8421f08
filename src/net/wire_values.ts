/** Values of the request fields as every request reader checks them (the general decoder and the fast paths alike). */
import type { ConsistencyLevel } from "./messages";

/** The Consistency enum of the schema, by its wire value. */
export const consistencyByWire: readonly ConsistencyLevel[] = ["strong", "bounded", "eventual"];

/** Request ids and sequences are doubles holding integers; above this they lose precision. */
const wireIntegerMax = Number.MAX_SAFE_INTEGER;

/** Whether `value` is an integer in [lowest, highest]. */
export function isIntegerWithin(value: number, lowest: number, highest = wireIntegerMax): boolean {
  return Number.isInteger(value) && value >= lowest && value <= highest;
}

/**
 * Why (shard, shardEpoch) is not a routing the server accepts, or null when it is: both 0 (not
 * routed), or a shard with an epoch that is an integer in 1..2^53. The fast paths use
 * isRouting, which agrees.
 */
export function routingProblem(shard: number, shardEpoch: number): string | null {
  if (shard === 0) return shardEpoch === 0 ? null : `shard epoch ${shardEpoch} is given without a shard`;
  if (isIntegerWithin(shardEpoch, 1)) return null;
  return `shard ${shard} needs an epoch that is an integer in 1..2^53, not ${shardEpoch}`;
}

export function isRouting(shard: number, shardEpoch: number): boolean {
  return shard === 0 ? shardEpoch === 0 : isIntegerWithin(shardEpoch, 1);
}
