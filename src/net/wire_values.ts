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
