/** Client session ids: distinct, and within the server's session id limit. */
import { expect, test } from "bun:test";
import { newSessionId } from "../../src/client/session_id";
import { resolveLimits } from "../../src/net/limits";

test("session ids are distinct and fit the server's session id limit", () => {
  const ids = Array.from({ length: 1000 }, () => Buffer.from(newSessionId()).toString("latin1"));
  expect(new Set(ids).size).toBe(ids.length);
  const limit = resolveLimits({}).sessionIdBytesMax;
  for (const id of ids) expect(id.length).toBeLessThanOrEqual(limit);
  expect(ids[0]).toMatch(/^[A-Za-z0-9_-]+$/);
});
