/** The client-port server over real sockets on 127.0.0.1: round trips, pipelining, limits and back-pressure. */
import { describe, expect, test } from "bun:test";
import { encodeGetFrame } from "../../src/net/get_request_layout";
import { LimitsError, resolveLimits, type ServerLimits } from "../../src/net/limits";
import type { ServerObserver } from "../../src/net/observer";
import { MemoryService } from "./memory_service";
import { waitFor } from "../support/wait_for";
import { serverPerTest } from "./per_test_server";
import { bytes, request, text, wireFrame } from "./wire_fixtures";

const servers = serverPerTest();
const client = servers.client;

async function start(limits: Partial<ServerLimits> = {}, observer?: ServerObserver): Promise<{ service: MemoryService; port: number }> {
  const service = new MemoryService();
  const server = await servers.start({ service, limits, observer });
  return { service, port: server.port };
}

const put = (id: number, key: string, value: string, extra = {}) =>
  wireFrame(request(id, { kind: "write", command: { op: "put", key: bytes(key), value: bytes(value) } }, extra));
const get = (id: number, key: string) => wireFrame(request(id, { kind: "get", key: bytes(key) }));

describe("server round trips", () => {
  test("every request kind over one connection", async () => {
    const { port } = await start();
    const raw = await client(port);
    raw.send(wireFrame(request(1, { kind: "ping" })));
    expect((await raw.reply(1)).result.kind).toBe("ping");
    raw.send(put(2, "k1", "v1"));
    expect(await raw.reply(2)).toEqual({ status: "OK", message: "", leaderHint: "", result: { kind: "write", outcome: { applied: true, version: 1 } } });
    raw.send(get(3, "k1"));
    expect(await raw.reply(3)).toEqual({ status: "OK", message: "", leaderHint: "", result: { kind: "get", value: bytes("v1"), version: 1 } });
    raw.send(wireFrame(request(4, { kind: "write", command: { op: "cas", key: bytes("k1"), expected: bytes("v1"), value: bytes("v2") } })));
    expect((await raw.reply(4)).result).toEqual({ kind: "write", outcome: { applied: true, version: 2 } });
    raw.send(wireFrame(request(5, { kind: "write", command: { op: "batch", commands: [
      { op: "put", key: bytes("k2"), value: bytes("x") }, { op: "delete", key: bytes("k1") },
    ] } })));
    expect((await raw.reply(5)).result).toEqual({ kind: "batch", succeeded: true, version: 3, results: [{ applied: true, version: 3 }, { applied: true, version: 3 }] });
    raw.send(wireFrame(request(6, { kind: "scan", options: { prefix: bytes("k"), limit: 10 } })));
    expect((await raw.reply(6)).result).toEqual({ kind: "scan", entries: [{ key: bytes("k2"), value: bytes("x"), version: 3 }], nextCursor: null });
    raw.send(wireFrame(request(7, { kind: "write", command: { op: "delete", key: bytes("k2") } })));
    expect((await raw.reply(7)).result).toEqual({ kind: "write", outcome: { applied: true, version: 4 } });
    raw.send(get(8, "k2"));
    expect((await raw.reply(8)).status).toBe("NOT_FOUND");
  });

  test("frames split into single bytes and frames packed together are both reassembled", async () => {
    const { port } = await start();
    const raw = await client(port);
    const frame = put(1, "split", "value");
    for (const byte of frame) {
      raw.send(Uint8Array.of(byte));
      await Bun.sleep(0);
    }
    expect((await raw.reply(1)).status).toBe("OK");
    const packed = [get(2, "split"), get(3, "split"), get(4, "missing")];
    raw.send(Buffer.concat(packed));
    expect(text((await raw.reply(3)).result.kind === "get" ? ((await raw.reply(3)).result as { value: Uint8Array }).value : null)).toBe("value");
    expect((await raw.reply(4)).status).toBe("NOT_FOUND");
  });
});

describe("server requests in flight", () => {
  test("replies come back out of order: a read overtakes a slow write", async () => {
    const { service, port } = await start();
    const writes = service.holdWrites();
    const raw = await client(port);
    raw.send(Buffer.concat([put(1, "slow", "w"), get(2, "slow")]));
    expect((await raw.reply(2)).status).toBe("NOT_FOUND");
    writes.open();
    await raw.reply(1);
    expect(raw.replies.map((reply) => reply.requestId)).toEqual([2, 1]);
  });

  test("a write resent with the same session and sequence is applied once", async () => {
    const { service, port } = await start();
    const writes = service.holdWrites();
    const raw = await client(port);
    const identity = { sessionId: bytes("session-A"), sequence: 7 };
    // The resend arrives while the first is still being applied.
    raw.send(Buffer.concat([put(1, "once", "v", identity), put(2, "once", "v", identity)]));
    await waitFor(() => servers.running().stats().inflight === 2, "both writes in flight");
    writes.open();
    const [first, second] = [await raw.reply(1), await raw.reply(2)];
    raw.send(put(3, "once", "v", identity));
    expect(await raw.reply(3)).toEqual(first);
    expect(second).toEqual(first);
    expect(service.applied).toBe(1);
    raw.send(put(4, "once", "v", { sessionId: bytes("session-A"), sequence: 8 }));
    await raw.reply(4);
    expect(service.applied).toBe(2);
  });

  test("too many requests in flight on a connection get OVERLOADED and are not applied", async () => {
    const { service, port } = await start({ inflightRequestsPerConnectionMax: 4 });
    const writes = service.holdWrites();
    const raw = await client(port);
    raw.send(Buffer.concat(Array.from({ length: 10 }, (_, index) => put(index + 1, `k${index}`, "v"))));
    // The four within the bound are held in flight; the six past it are answered at once.
    const statuses = new Map<number, string>();
    for (let id = 5; id <= 10; id++) statuses.set(id, (await raw.reply(id)).status);
    writes.open();
    for (let id = 1; id <= 4; id++) statuses.set(id, (await raw.reply(id)).status);
    expect([...statuses].sort(([left], [right]) => left - right).map(([, status]) => status))
      .toEqual(["OK", "OK", "OK", "OK", ...Array(6).fill("OVERLOADED")]);
    expect(service.applied).toBe(4);
  });

  test("requests in flight are bounded across connections too", async () => {
    const { service, port } = await start({ inflightRequestsPerConnectionMax: 3, inflightRequestsPerServerMax: 4 });
    const writes = service.holdWrites();
    const first = await client(port);
    const second = await client(port);
    first.send(Buffer.concat([put(1, "a", "v"), put(2, "b", "v"), put(3, "c", "v")]));
    await waitFor(() => servers.running().stats().inflight === 3, "the first connection's writes in flight");
    second.send(Buffer.concat([put(1, "d", "v"), put(2, "e", "v")]));
    expect((await second.reply(2)).status).toBe("OVERLOADED");
    writes.open();
    expect((await second.reply(1)).status).toBe("OK");
    expect(service.applied).toBe(4);
  });
});

describe("server close and slow readers", () => {
  test("close() lets a write in flight finish and answers it", async () => {
    const { service, port } = await start();
    const writes = service.holdWrites();
    const raw = await client(port);
    raw.send(put(1, "last", "v"));
    await waitFor(() => service.applyStarted === 1, "the write to start");
    let closed = false;
    const closing = servers.running().close().then(() => { closed = true; });
    // close() must wait for the held write: a few turns of the event loop later it still does.
    for (let turn = 0; turn < 10; turn++) await Bun.sleep(0);
    expect(closed).toBe(false);
    writes.open();
    expect((await raw.reply(1)).status).toBe("OK");
    await closing;
    await raw.waitClosed();
    expect(service.snapshot()).toEqual([["last", "v", 1]]);
  });

  test("a client that does not read its replies is served in full once it does", async () => {
    const { service, port } = await start({ outputBufferedBytesMax: 64 * 1024 });
    service.entries.set("big", { value: new Uint8Array(32 * 1024).fill(1), version: 1 });
    const raw = await client(port);
    raw.socket!.pause();
    const count = 300;
    raw.send(Buffer.concat(Array.from({ length: count }, (_, index) => get(index + 1, "big"))));
    await waitFor(() => servers.running().stats().pausedConnections === 1, "the connection paused");
    expect(raw.replies.length).toBeLessThan(count);
    raw.socket!.resume();
    await waitFor(() => raw.replies.length === count, "every reply");
    expect(raw.replies.every((reply) => reply.reply.status === "OK")).toBe(true);
    expect(servers.running().stats().pausedConnections).toBe(0);
  });
});

describe("observer and reply size", () => {
  test("the observer sees each request with its status, connections, requests in flight and bytes", async () => {
    const seen = { completed: [] as string[], connections: 0, inflight: 0, inflightPeak: 0, received: 0, sent: 0 };
    const observer: ServerObserver = {
      requestCompleted: (operation, status, latencySeconds) => {
        expect(latencySeconds).toBeGreaterThanOrEqual(0);
        seen.completed.push(`${operation}:${status}`);
      },
      inflightChanged: (delta) => { seen.inflight += delta; seen.inflightPeak = Math.max(seen.inflightPeak, seen.inflight); },
      connectionsChanged: (delta) => { seen.connections += delta; },
      bytesReceived: (count) => { seen.received += count; },
      bytesSent: (count) => { seen.sent += count; },
    };
    const { port } = await start({}, observer);
    const raw = await client(port);
    await waitFor(() => seen.connections === 1, "the observer to see the connection");
    raw.send(Buffer.concat([put(1, "k", "v"), get(2, "k"), get(3, "missing"), get(4, "")]));
    await raw.reply(4);
    await raw.reply(1);
    expect(seen.completed.sort()).toEqual(["get:NOT_FOUND", "get:OK", "invalid:INVALID_REQUEST", "put:OK"]);
    expect({ inflight: seen.inflight, peak: seen.inflightPeak }).toEqual({ inflight: 0, peak: 1 });
    expect(seen.received).toBeGreaterThan(0);
    await waitFor(() => seen.sent > 0, "the observer to see bytes sent");
    raw.close();
    await waitFor(() => seen.connections === 0, "the observer to see the connection close");
  });

  test("gets laid out as the client sends them are answered and counted, found ones once per read", async () => {
    const counts = new Map<string, number>();
    const observer: ServerObserver = {
      requestCompleted: (operation, status, latencySeconds, count = 1) => {
        expect(latencySeconds).toBeGreaterThanOrEqual(0);
        counts.set(`${operation}:${status}`, (counts.get(`${operation}:${status}`) ?? 0) + count);
      },
      inflightChanged: () => {}, connectionsChanged: () => {}, bytesReceived: () => {}, bytesSent: () => {},
    };
    const { service, port } = await start({}, observer);
    service.entries.set("k", { value: bytes("value"), version: 7 });
    const raw = await client(port);
    const foundCount = 50;
    const frames = Array.from({ length: foundCount }, (_, index) =>
      encodeGetFrame(index + 1, "strong", 0, 1000, 0, 0, bytes("k")));
    frames.push(encodeGetFrame(foundCount + 1, "eventual", 0, 0, 0, 0, bytes("missing")));
    raw.send(Buffer.concat(frames));
    for (let id = 1; id <= foundCount; id++) {
      expect(await raw.reply(id)).toEqual({ status: "OK", message: "", leaderHint: "", result: { kind: "get", value: bytes("value"), version: 7 } });
    }
    expect((await raw.reply(foundCount + 1)).status).toBe("NOT_FOUND");
    const observed = () => (counts.get("get:OK") ?? 0) + (counts.get("get:NOT_FOUND") ?? 0);
    await waitFor(() => observed() === foundCount + 1, "every get observed");
    expect(Object.fromEntries(counts)).toEqual({ "get:OK": foundCount, "get:NOT_FOUND": 1 });
  });

  test("a scan page is cut short with a cursor when its reply would exceed the frame limit", async () => {
    const { service, port } = await start({ keySizeBytesMax: 64, valueSizeBytesMax: 4096, frameSizeBytesMax: 16 * 1024, receiveBufferBytesInitial: 1024 });
    for (let index = 0; index < 20; index++) {
      service.entries.set(`v${String(index).padStart(2, "0")}`, { value: new Uint8Array(4000).fill(index), version: index + 1 });
    }
    const raw = await client(port);
    raw.send(wireFrame(request(1, { kind: "scan", options: { limit: 100 } })));
    const reply = await raw.reply(1);
    if (reply.result.kind !== "scan") throw new Error(`expected a scan result, got ${reply.status}`);
    expect(reply.result.entries.length).toBe(4);
    expect(text(reply.result.nextCursor)).toBe("v03");
  });
});

describe("limits", () => {
  test("defaults hold together and overrides are validated by name", () => {
    expect(resolveLimits().frameSizeBytesMax).toBe(16 * 1024 * 1024);
    expect(() => resolveLimits({ connectionsMax: 0 })).toThrow(LimitsError);
    expect(() => resolveLimits({ connectionsMax: 1.5 })).toThrow("connectionsMax");
    expect(() => resolveLimits({ bogus: 1 } as Partial<ServerLimits>)).toThrow("bogus");
    expect(() => resolveLimits({ frameSizeBytesMax: 1024 })).toThrow("frameSizeBytesMax");
  });
});
