/**
 * The server over the real storage engine (src/engine/engine.ts) on disk under the temp
 * folder: round trips through the public client, pipelined writes sharing group commits,
 * bad input leaving stored data as it was, and a restart of engine and server on the same
 * port with every acknowledged write read back by the same, reconnected client.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type FileStore } from "../../src/client/index";
import { Engine } from "../../src/engine/engine";
import { startServer, type RunningServer } from "../../src/net/server";
import { RawClient } from "./raw_client";
import { bytes, getEnvelope, withLengthPrefix } from "./wire_fixtures";

const root = mkdtempSync(join(tmpdir(), "filestore-net-engine-"));
let directoryCount = 0;
const running: Array<{ engine: Engine; server: RunningServer }> = [];
const clients: FileStore[] = [];
const text = (data: Uint8Array | null) => (data === null ? null : Buffer.from(data).toString());

async function serveEngine(dir: string, port = 0): Promise<{ engine: Engine; server: RunningServer }> {
  const engine = await Engine.open({ dir, fsync: "always" });
  const server = await startServer({ host: "127.0.0.1", port, service: engine });
  const node = { engine, server };
  running.push(node);
  return node;
}

async function stop(node: { engine: Engine; server: RunningServer }): Promise<void> {
  running.splice(running.indexOf(node), 1);
  await node.server.close();
  await node.engine.close();
}

async function allEntries(db: FileStore): Promise<Array<[string, string, bigint]>> {
  const entries: Array<[string, string, bigint]> = [];
  for await (const entry of db.scan({})) entries.push([text(entry.key)!, text(entry.value)!, entry.version]);
  return entries;
}

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const node of [...running]) await stop(node);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const freshDirectory = () => join(root, `engine-${directoryCount++}`);

describe("server over the storage engine", () => {
  test("round trips of every operation", async () => {
    const { server } = await serveEngine(freshDirectory());
    const db = await connect(`127.0.0.1:${server.port}`, { timeoutMs: 5000 });
    clients.push(db);
    expect(await db.put("acct/1", "100")).toEqual({ version: 1n });
    expect(text(await db.get("acct/1"))).toBe("100");
    expect(await db.cas("acct/1", "100", "90")).toBe(true);
    expect(await db.cas("acct/1", "100", "80")).toBe(false);
    expect((await db.batch([{ op: "put", key: "acct/2", value: "5" }, { op: "cas", key: "acct/3", expected: null, value: "1" }])).succeeded).toBe(true);
    expect(await db.delete("acct/3")).toBe(true);
    expect(await allEntries(db)).toEqual([["acct/1", "90", 2n], ["acct/2", "5", 3n]]);
    expect(await db.get("acct/3")).toBeNull();
  });

  test("1,000 pipelined writes with fsync always, each acknowledged value stored as sent", async () => {
    const { server } = await serveEngine(freshDirectory());
    const db = await connect(`127.0.0.1:${server.port}`, { timeoutMs: 30_000 });
    clients.push(db);
    const count = 1000;
    await Promise.all(Array.from({ length: count }, (_, index) => db.put(`k/${String(index).padStart(4, "0")}`, `value-${index}-${"x".repeat(index % 50)}`)));
    const entries = await allEntries(db);
    expect(entries.length).toBe(count);
    expect(entries.every(([key, value], index) => key === `k/${String(index).padStart(4, "0")}` && value === `value-${index}-${"x".repeat(index % 50)}`)).toBe(true);
  }, 60_000);

  test("bad input changes nothing stored and the engine keeps serving", async () => {
    const { server } = await serveEngine(freshDirectory());
    const db = await connect(`127.0.0.1:${server.port}`, { timeoutMs: 5000 });
    clients.push(db);
    await db.put("stored", "safe");
    const before = await allEntries(db);
    const raw = await RawClient.connect(server.port);
    raw.send(withLengthPrefix(getEnvelope(1, new Uint8Array(0))));
    expect((await raw.reply(1)).status).toBe("INVALID_REQUEST");
    raw.send(withLengthPrefix(getEnvelope(2, new Uint8Array(5000).fill(1))));
    expect((await raw.reply(2)).status).toBe("TOO_LARGE");
    raw.send(withLengthPrefix(bytes("this is not a flatbuffer at all")));
    expect((await raw.reply(0)).status).toBe("INVALID_REQUEST");
    await raw.waitClosed();
    expect(await allEntries(db)).toEqual(before);
  });

  test("after engine and server restart on the same port, the client reconnects and reads every acknowledged write", async () => {
    const dir = freshDirectory();
    const first = await serveEngine(dir);
    const port = first.server.port;
    const db = await connect(`127.0.0.1:${port}`, { timeoutMs: 10_000 });
    clients.push(db);
    const acknowledged = await Promise.all(Array.from({ length: 200 }, (_, index) => db.put(`order/${index}`, `qty-${index}`)));
    expect(acknowledged.length).toBe(200);
    await stop(first);
    await serveEngine(dir, port);
    for (let index = 0; index < 200; index++) expect(text(await db.get(`order/${index}`))).toBe(`qty-${index}`);
    expect((await db.put("order/after", "1")).version).toBe(201n);
  }, 30_000);
});
