/** The public client against a real server on 127.0.0.1 over an in-memory service. */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, FileStoreError, type FileStore } from "../../src/client/index";
import type { Entry } from "../../src/engine/types";
import { ServiceError, type ReadContext, type WriteContext } from "../../src/net/key_value_service";
import type { Command, CommandResult } from "../../src/engine/types";
import { startServer, type RunningServer } from "../../src/net/server";
import { MemoryService } from "../net/memory_service";
import { waitFor } from "../support/wait_for";

const servers: RunningServer[] = [];
const clients: FileStore[] = [];
const text = (data: Uint8Array | null) => (data === null ? null : Buffer.from(data).toString());

async function serve(service = new MemoryService(), port = 0): Promise<RunningServer> {
  const server = await startServer({ host: "127.0.0.1", port, service, logError: () => {} });
  servers.push(server);
  return server;
}

async function open(address: string | string[], options = {}): Promise<FileStore> {
  const db = await connect(address, options);
  clients.push(db);
  return db;
}

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const server of servers.splice(0)) await server.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FileStoreError);
    return (error as FileStoreError).code;
  }
  throw new Error("expected a FileStoreError");
}

describe("client round trips", () => {
  test("put, get, delete, cas, batch with strings and bytes", async () => {
    const server = await serve();
    const db = await open(`127.0.0.1:${server.port}`, { timeoutMs: 2000 });
    expect(await db.put("user/1", "alice")).toEqual({ version: 1n });
    expect(text(await db.get("user/1", { consistency: "strong" }))).toBe("alice");
    expect(await db.get("user/404")).toBeNull();
    const binary = Uint8Array.of(0, 255, 1, 254);
    await db.put(Uint8Array.of(1, 2), binary);
    expect(await db.get(Uint8Array.of(1, 2))).toEqual(binary);
    expect(await db.delete("user/1")).toBe(true);
    expect(await db.delete("user/1")).toBe(false);
    expect(await db.cas("lock", null, "owner-a")).toBe(true);
    expect(await db.cas("lock", null, "owner-b")).toBe(false);
    expect(await db.cas("lock", "owner-b", "owner-c")).toBe(false);
    expect(await db.cas("lock", "owner-a", "owner-c")).toBe(true);
    expect(text(await db.get("lock"))).toBe("owner-c");
    const outcome = await db.batch([{ op: "put", key: "a", value: "1" }, { op: "delete", key: "lock" }, { op: "cas", key: "b", expected: null, value: "2" }]);
    expect(outcome.succeeded).toBe(true);
    expect([text(await db.get("a")), await db.get("lock"), text(await db.get("b"))]).toEqual(["1", null, "2"]);
    const failed = await db.batch([{ op: "put", key: "a", value: "changed" }, { op: "cas", key: "b", expected: "wrong", value: "3" }]);
    expect(failed.succeeded).toBe(false);
    expect(text(await db.get("a"))).toBe("1");
  });

  test("scan walks pages in key order, by prefix, by range and up to a limit", async () => {
    const server = await serve();
    const db = await open(`127.0.0.1:${server.port}`);
    await Promise.all(Array.from({ length: 25 }, (_, index) => db.put(`item/${String(index).padStart(2, "0")}`, `v${index}`)));
    await db.put("other", "x");
    const keys = async (options: Parameters<FileStore["scan"]>[0]) => {
      const found: string[] = [];
      for await (const entry of db.scan(options)) found.push(text(entry.key)!);
      return found;
    };
    const all = Array.from({ length: 25 }, (_, index) => `item/${String(index).padStart(2, "0")}`);
    expect(await keys({ prefix: "item/", pageSize: 4 })).toEqual(all);
    expect(await keys({ prefix: "item/", limit: 7, pageSize: 3 })).toEqual(all.slice(0, 7));
    expect(await keys({ start: "item/10", end: "item/13" })).toEqual(["item/10", "item/11", "item/12"]);
    expect(await keys({})).toEqual([...all, "other"]);
    for await (const entry of db.scan({ prefix: "other" })) {
      expect({ value: text(entry.value), version: typeof entry.version }).toEqual({ value: "x", version: "bigint" });
    }
  });

  test("consistency, staleness bound, deadline and trace context reach the service", async () => {
    const service = new MemoryService();
    const contexts: ReadContext[] = [];
    service.get = (key: Uint8Array, context: ReadContext) => {
      contexts.push(context);
      return MemoryService.prototype.get.call(service, key);
    };
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`);
    const trace = { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2) };
    const before = performance.now();
    await db.get("k", { consistency: "bounded", maxStalenessMs: 250, timeoutMs: 700, trace });
    await db.get("k", { consistency: "eventual" });
    expect(contexts.map(({ consistency, maxStalenessMs, trace: carried }) => ({ consistency, maxStalenessMs, carried })))
      .toEqual([{ consistency: "bounded", maxStalenessMs: 250, carried: trace }, { consistency: "eventual", maxStalenessMs: 0, carried: null }]);
    expect(contexts[0]!.deadlineAtMs).toBeGreaterThan(before);
    expect(contexts[0]!.deadlineAtMs).toBeLessThanOrEqual(performance.now() + 700);
  });
});

describe("client pipelining", () => {
  test("10,000 requests pipelined on one connection all get their own answer", async () => {
    const service = new MemoryService();
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`, { timeoutMs: 30_000 });
    const count = 10_000;
    const writes = await Promise.all(Array.from({ length: count }, (_, index) => db.put(`k${index}`, `value-${index}`)));
    expect(new Set(writes.map((write) => write.version)).size).toBe(count);
    const reads = await Promise.all(Array.from({ length: count }, (_, index) => db.get(`k${index}`)));
    expect(reads.every((value, index) => text(value) === `value-${index}`)).toBe(true);
    expect(server.stats().connections).toBe(1);
    expect(service.applied).toBe(count);
  }, 60_000);
});

describe("client errors", () => {
  test("typed codes for bad keys and oversized requests", async () => {
    const server = await serve();
    const db = await open(`127.0.0.1:${server.port}`);
    expect(await codeOf(db.put("", "x"))).toBe("INVALID_REQUEST");
    expect(await codeOf(db.get("k".repeat(5000)))).toBe("TOO_LARGE");
    expect(await codeOf(db.put("big", new Uint8Array(17 * 1024 * 1024)))).toBe("TOO_LARGE");
    expect(await db.put("after", "fine")).toEqual({ version: 1n });
  });

  test("a bad argument rejects the returned promise (it never throws) and the connection carries on", async () => {
    const server = await serve();
    const db = await open(`127.0.0.1:${server.port}`, { frameSizeBytesMax: 64 * 1024 });
    const calls: (() => Promise<unknown>)[] = [
      () => db.get(""), () => db.put("", "x"), () => db.delete(""), () => db.cas("", null, "x"),
      () => db.batch([]), () => db.batch([{ op: "put", key: "", value: "x" }]),
    ];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => { promise = call(); }).not.toThrow();
      expect(await codeOf(promise!)).toBe("INVALID_REQUEST");
    }
    // Over the frame limit, found before sending: nothing reaches the server, which would close the connection.
    expect(await codeOf(db.get("k".repeat(65 * 1024)))).toBe("TOO_LARGE");
    expect(await codeOf(db.put("k", new Uint8Array(65 * 1024)))).toBe("TOO_LARGE");
    expect(await db.put("after", "fine")).toEqual({ version: 1n });
    expect(text(await db.get("after"))).toBe("fine");
  });

  test("service errors arrive with their wire status and leader hint", async () => {
    const service = new MemoryService();
    service.get = () => { throw new ServiceError("NOT_LEADER", "follower", "127.0.0.1:7999"); };
    service.scan = () => { throw new Error("disk on fire"); };
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`);
    const error = await db.get("k").catch((caught: unknown) => caught as FileStoreError);
    expect({ code: (error as FileStoreError).code, leaderHint: (error as FileStoreError).leaderHint })
      .toEqual({ code: "NOT_LEADER", leaderHint: "127.0.0.1:7999" });
    expect(await codeOf(db.scan({}).next())).toBe("INTERNAL");
  });

  test("a read past its deadline is TIMEOUT; a write past its deadline is UNKNOWN_OUTCOME", async () => {
    const service = new MemoryService();
    let releaseReads: () => void = () => {};
    const readsReleased = new Promise<void>((resolve) => { releaseReads = resolve; });
    service.get = async (key: Uint8Array): Promise<Entry | null> => {
      await readsReleased;
      return MemoryService.prototype.get.call(service, key);
    };
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`);
    expect(await codeOf(db.get("k", { timeoutMs: 30 }))).toBe("TIMEOUT");
    const writes = service.holdWrites();
    expect(await codeOf(db.put("k", "v", { timeoutMs: 30 }))).toBe("UNKNOWN_OUTCOME");
    releaseReads();
    writes.open();
  });
});

describe("client connections and back-pressure", () => {
  test("connect fails UNAVAILABLE when nothing listens; cluster: false with a list fails over", async () => {
    const server = await serve();
    const dead = await serve();
    const deadPort = dead.port;
    await dead.close();
    expect(await codeOf(connect(`127.0.0.1:${deadPort}`, { timeoutMs: 500 }))).toBe("UNAVAILABLE");
    const db = await open([`127.0.0.1:${deadPort}`, `127.0.0.1:${server.port}`], { cluster: false });
    expect(await db.put("k", "v")).toEqual({ version: 1n });
    expect(await codeOf(connect("not an address"))).toBe("INVALID_REQUEST");
  });

  test("requests beyond the pipelining window wait locally; beyond the queue bound they fail OVERLOADED", async () => {
    const service = new MemoryService();
    const held = service.holdWrites();
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`, { inflightRequestsMax: 2, queuedRequestsMax: 3 });
    const writes = Array.from({ length: 5 }, (_, index) => db.put(`k${index}`, "v"));
    expect(await codeOf(db.put("one-too-many", "v"))).toBe("OVERLOADED");
    await waitFor(() => service.applyStarted === 2, "the window's two writes to reach the server");
    held.open();
    expect((await Promise.all(writes)).map((write) => write.version)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(service.applied).toBe(5);
  });

  test("calls after close fail with CLOSED", async () => {
    const server = await serve();
    const db = await connect(`127.0.0.1:${server.port}`);
    await db.put("k", "v");
    await db.close();
    expect(await codeOf(db.get("k"))).toBe("CLOSED");
  });
});

describe("write identity", () => {
  /** Records the identity the server passes on with each write. */
  class RecordingService extends MemoryService {
    readonly contexts: WriteContext[] = [];
    applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
      this.contexts.push({ ...context, sessionId: context.sessionId?.slice() ?? null });
      return this.apply(command);
    }
  }

  test("each write carries its sequence and the oldest sequence the client still waits for", async () => {
    const service = new RecordingService();
    const server = await serve(service);
    const db = await open(`127.0.0.1:${server.port}`, { timeoutMs: 2000 });
    await db.put("a", "1");
    await Promise.all([db.put("b", "2"), db.put("c", "3"), db.delete("a")]);
    await db.cas("b", "2", "4");
    const seen = service.contexts.map(({ sequence, oldestPendingSequence }) => ({ sequence, oldestPendingSequence }));
    expect(seen).toEqual([
      { sequence: 1, oldestPendingSequence: 1 },
      { sequence: 2, oldestPendingSequence: 2 },
      { sequence: 3, oldestPendingSequence: 2 },
      { sequence: 4, oldestPendingSequence: 2 },
      { sequence: 5, oldestPendingSequence: 5 },
    ]);
    const sessions = new Set(service.contexts.map((context) => text(context.sessionId)));
    expect(sessions.size).toBe(1);
  });
});
