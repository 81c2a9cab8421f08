/**
 * What an address list means. Two in-process servers: a follower that refuses everything with
 * NOT_LEADER naming the leader, and the leader. A list is a replicated group by default (the
 * follower's hint is followed); a single address is one server (its NOT_LEADER comes back);
 * `cluster: true` with one address follows hints from it; `cluster: false` with a list is one
 * server at any of several addresses (failover, no hints followed). Requests redirected together
 * share one new connection to the leader.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, FileStoreError, type FileStore } from "../../src/client/index.ts";
import { ServiceError } from "../../src/net/key_value_service.ts";
import { noopObserver } from "../../src/net/observer.ts";
import { startServer, type RunningServer } from "../../src/net/server.ts";
import { MemoryService } from "../net/memory_service.ts";

const servers: RunningServer[] = [];
const clients: FileStore[] = [];
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

/** A service that refuses every request with NOT_LEADER and `hint`. */
class FollowerService extends MemoryService {
  refused = 0;
  constructor(private readonly hint: string) {
    super();
  }
  override get(): never {
    return this.refuse();
  }
  override apply(): Promise<never> {
    return Promise.resolve().then(() => this.refuse());
  }
  private refuse(): never {
    this.refused++;
    throw new ServiceError("NOT_LEADER", "this replica follows", this.hint);
  }
}

interface Group {
  follower: string;
  leader: string;
  leaderService: MemoryService;
  followerService: FollowerService;
}

/** Connections the leader's server accepted, ever. */
let leaderConnectionsOpened = 0;

async function startGroup(): Promise<Group> {
  const leaderService = new MemoryService();
  leaderConnectionsOpened = 0;
  const observer = {
    ...noopObserver,
    connectionsChanged: (delta: number) => {
      if (delta > 0) leaderConnectionsOpened += delta;
    },
  };
  const leaderServer = await startServer({
    host: "127.0.0.1", port: 0, service: leaderService, observer, logError: () => {},
  });
  const leader = `127.0.0.1:${leaderServer.port}`;
  const followerService = new FollowerService(leader);
  const followerServer = await startServer({
    host: "127.0.0.1", port: 0, service: followerService, logError: () => {},
  });
  servers.push(leaderServer, followerServer);
  return { follower: `127.0.0.1:${followerServer.port}`, leader, leaderService, followerService };
}

async function open(address: string | string[], options: { cluster?: boolean } = {}): Promise<FileStore> {
  const db = await connect(address, { timeoutMs: 5000, ...options });
  clients.push(db);
  return db;
}

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const server of servers.splice(0)) await server.close();
});

test("a list is one replicated group by default: a follower's NOT_LEADER hint is followed", async () => {
  const group = await startGroup();
  const db = await open([group.follower, group.leader]);
  expect(await db.put("k", "v")).toEqual({ version: 1n });
  expect(text(await db.get("k"))).toBe("v");
  expect(group.followerService.refused).toBe(1);
  expect(group.leaderService.applied).toBe(1);
});

test("requests redirected to the leader together share one connection to it", async () => {
  const group = await startGroup();
  const db = await open([group.follower, group.leader]);
  const writes = Array.from({ length: 32 }, (_, index) => db.put(`k${index}`, "v"));
  expect((await Promise.all(writes)).length).toBe(32);
  expect(group.followerService.refused).toBe(32);
  expect(leaderConnectionsOpened).toBe(1);
});

test("a single address is one server: its NOT_LEADER comes back with the leader's address", async () => {
  const group = await startGroup();
  const db = await open(group.follower);
  const error = await db.put("k", "v").catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(FileStoreError);
  expect({ code: (error as FileStoreError).code, leaderHint: (error as FileStoreError).leaderHint })
    .toEqual({ code: "NOT_LEADER", leaderHint: group.leader });
  expect(group.leaderService.applied).toBe(0);
});

test("cluster: true with a single address starts there and follows the hints", async () => {
  const group = await startGroup();
  const db = await open(group.follower, { cluster: true });
  expect(await db.put("k", "v")).toEqual({ version: 1n });
  expect(group.leaderService.applied).toBe(1);
});

test("cluster: false with a list is one server at several addresses: hints are not followed", async () => {
  const group = await startGroup();
  const db = await open([group.follower, group.leader], { cluster: false });
  const error = await db.put("k", "v").catch((caught: unknown) => caught);
  expect((error as FileStoreError).code).toBe("NOT_LEADER");
  expect(group.leaderService.applied).toBe(0);
});
