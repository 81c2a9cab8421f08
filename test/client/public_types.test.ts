/**
 * The client's public types are spelled out in src/client (so its published declarations stand
 * alone, without the server's modules); this file fails to type-check (npm test's first step)
 * if they drift from the wire's own types.
 */
import { expect, test } from "bun:test";
import type { ConsistencyLevel, FileStoreErrorCode, TraceContext } from "../../src/client/index.ts";
import type {
  ConsistencyLevel as WireConsistencyLevel, TraceContext as WireTraceContext,
} from "../../src/net/messages.ts";
import type { StatusName } from "../../src/wire/status.ts";

/** true when A and B are the same type, a compile error otherwise (the assignment below fails). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const clientOwnCodes = ["UNKNOWN_OUTCOME", "CLOSED"] as const;

test("the public types say what the wire says", () => {
  const agreements: [
    Same<ConsistencyLevel, WireConsistencyLevel>,
    Same<TraceContext, WireTraceContext>,
    Same<FileStoreErrorCode, Exclude<StatusName, "OK"> | (typeof clientOwnCodes)[number]>,
  ] = [true, true, true];
  expect(agreements).toEqual([true, true, true]);
});
