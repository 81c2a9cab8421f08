/**
 * Reconnection: after a server stop and restart on the same port, and after a cut connection
 * (through a proxy) to the same or to a different server process. Writes are never applied
 * twice: resent with their identity to the same process, or failed as UNKNOWN_OUTCOME.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, FileStoreError, type FileStore } from "../../src/client/index";
import type { Entry } from "../../src/engine/types";
import { startServer, type RunningServer } from "../../src/net/server";
import { MemoryService } from "../net/memory_service";
import { waitFor } from "../support/wait_for";
import { TcpProxy } from "./tcp_proxy";

const servers: RunningServer[] = [];
const clients: FileStore[] = [];
const proxies: TcpProxy[] = [];
const text = (data: Uint8Array | null) => (data === null ? null : Buffer.from(data).toString());

async function serve(service: MemoryService, port = 0): Promise<RunningServer> {
  const server = await startServer({ host: "127.0.0.1", port, service });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const server of servers.splice(0)) await server.close();
  for (const proxy of proxies.splice(0)) proxy.stop();
});

describe("reconnect", () => {
  test("after the server is stopped and restarted on the same port, acknowledged writes read back", async () => {
    const service = new MemoryService();
    const first = await serve(service);
    const port = first.port;
    const db = await connect(`127.0.0.1:${port}`, { timeoutMs: 5000 });
    clients.push(db);
    for (let index = 0; index < 50; index++) await db.put(`k${index}`, `v${index}`);
    await first.close();
    const duringOutage = db.get("k7");
    await serve(service, port);
    expect(text(await duringOutage)).toBe("v7");
    for (let index = 0; index < 50; index++) expect(text(await db.get(`k${index}`))).toBe(`v${index}`);
    expect(await db.put("after", "restart")).toEqual({ version: 51n });
  });

  test("a write in flight when the connection is cut is resent to the same server and applied once", async () => {
    const service = new MemoryService();
    const server = await serve(service);
    const proxy = new TcpProxy(server.port);
    proxies.push(proxy);
    const db = await connect(`127.0.0.1:${proxy.port}`, { timeoutMs: 5000 });
    clients.push(db);
    const writes = service.holdWrites();
    const write = db.put("order/1", "filled");
    await waitFor(() => service.applyStarted === 1, "the write to start");
    proxy.cutAll();
    // The client reconnects and resends while the first copy is still being applied.
    await waitFor(() => server.stats().inflight === 2, "the resent write to arrive");
    writes.open();
    expect(await write).toEqual({ version: 1n });
    expect(service.applyStarted).toBe(1);
    expect(service.snapshot()).toEqual([["order/1", "filled", 1]]);
  });

  test("a write in flight when the server behind the connection changed fails UNKNOWN_OUTCOME; a read in flight is resent", async () => {
    const firstService = new MemoryService();
    const first = await serve(firstService);
    const secondService = new MemoryService();
    secondService.entries.set("balance", { value: new TextEncoder().encode("100"), version: 1 });
    const second = await serve(secondService);
    const proxy = new TcpProxy(first.port);
    proxies.push(proxy);
    const db = await connect(`127.0.0.1:${proxy.port}`, { timeoutMs: 5000 });
    clients.push(db);
    const firstWrites = firstService.holdWrites();
    let releaseRead: () => void = () => {};
    const readHeld = new Promise<void>((resolve) => { releaseRead = resolve; });
    firstService.get = async (): Promise<Entry | null> => {
      await readHeld;
      return null;
    };
    const write = db.put("order/2", "filled").catch((error: unknown) => error);
    const read = db.get("balance");
    await waitFor(() => firstService.applyStarted === 1, "the write to start on the first server");
    proxy.targetPort = second.port;
    proxy.cutAll();
    const failure = await write;
    expect(failure).toBeInstanceOf(FileStoreError);
    expect((failure as FileStoreError).code).toBe("UNKNOWN_OUTCOME");
    expect(text(await read)).toBe("100");
    expect(secondService.applied).toBe(0);
    releaseRead();
    firstWrites.open();
  });
});
