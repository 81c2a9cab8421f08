/**
 * The public client against a real `filestore serve` process, under whichever runtime runs
 * this file: Bun (`bun test`, the client's source) or Node.js (`npm run test:node`, the
 * compiled dist/client/index.js with the node:net transport). Imports the client by the
 * package's own name, so each runtime takes its entry from package.json "exports".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FileStore } from "filestore";
import { serverAndClientPerFile } from "./shared_server.ts";

let db: FileStore;
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
serverAndClientPerFile((shared) => ({ db } = shared));

test("put, get, delete and cas with strings and bytes", async () => {
  const { version } = await db.put("user/1", "alice");
  assert.equal(typeof version, "bigint");
  assert.equal(text(await db.get("user/1")), "alice");
  assert.equal(await db.get("user/404"), null);
  const binary = Uint8Array.of(0, 255, 1, 254);
  await db.put(Uint8Array.of(1, 2), binary);
  assert.deepEqual(await db.get(Uint8Array.of(1, 2)), binary);
  assert.equal(await db.delete("user/1"), true);
  assert.equal(await db.delete("user/1"), false);
  assert.equal(await db.cas("lock", null, "owner-a"), true);
  assert.equal(await db.cas("lock", null, "owner-b"), false);
  assert.equal(await db.cas("lock", "owner-a", "owner-c"), true);
  assert.equal(text(await db.get("lock")), "owner-c");
});

test("a batch applies all or nothing", async () => {
  const done = await db.batch([
    { op: "put", key: "b/1", value: "1" }, { op: "cas", key: "b/2", expected: null, value: "2" },
  ]);
  assert.equal(done.succeeded, true);
  const refused = await db.batch([
    { op: "put", key: "b/1", value: "changed" }, { op: "cas", key: "b/2", expected: "wrong", value: "3" },
  ]);
  assert.equal(refused.succeeded, false);
  assert.deepEqual([text(await db.get("b/1")), text(await db.get("b/2"))], ["1", "2"]);
});

test("scan walks pages in key order, up to a limit", async () => {
  const keys = Array.from({ length: 12 }, (_, index) => `scan/${String(index).padStart(2, "0")}`);
  await Promise.all(keys.map((key) => db.put(key, `v-${key}`)));
  const seen: string[] = [];
  for await (const entry of db.scan({ prefix: "scan/", pageSize: 5 })) seen.push(text(entry.key)!);
  assert.deepEqual(seen, keys);
  const limited: string[] = [];
  for await (const entry of db.scan({ start: "scan/03", end: "scan/99", limit: 4, pageSize: 3 })) {
    limited.push(text(entry.key)!);
  }
  assert.deepEqual(limited, keys.slice(3, 7));
});

test("scanPage gives pages in key order with a cursor that resumes; one it did not make is refused", async () => {
  const keys = Array.from({ length: 11 }, (_, index) => `paged/${String(index).padStart(2, "0")}`);
  await Promise.all(keys.map((key) => db.put(key, key)));
  const seen: string[] = [];
  let page = await db.scanPage({ prefix: "paged/", pageSize: 4 });
  for (let pages = 1; page.cursor !== null && pages < 10; pages++) {
    assert.equal(typeof page.cursor, "string");
    seen.push(...page.entries.map((entry) => text(entry.key)!));
    page = await db.scanPage({ prefix: "paged/", pageSize: 4, cursor: page.cursor });
  }
  seen.push(...page.entries.map((entry) => text(entry.key)!));
  assert.deepEqual(seen, keys);
  const refused = await db.scanPage({ prefix: "paged/", cursor: "not a cursor" }).catch((error: unknown) => error);
  const { code, argument } = refused as { code: string; argument: string };
  assert.deepEqual([code, argument], ["INVALID_REQUEST", "cursor"]);
});

test("1,000 requests pipelined at once each get their own answer", async () => {
  const count = 1000;
  await Promise.all(Array.from({ length: count }, (_, index) => db.put(`many/${index}`, `value-${index}`)));
  const values = await Promise.all(Array.from({ length: count }, (_, index) => db.get(`many/${index}`)));
  assert.deepEqual(values.map(text), Array.from({ length: count }, (_, index) => `value-${index}`));
});

test("reads at every consistency level are served by a single node", async () => {
  await db.put("levels", "x");
  const reads = await Promise.all([
    db.get("levels", { consistency: "strong" }),
    db.get("levels", { consistency: "bounded", maxStalenessMs: 500 }),
    db.get("levels", { consistency: "eventual", timeoutMs: 5000 }),
  ]);
  assert.deepEqual(reads.map(text), ["x", "x", "x"]);
});
