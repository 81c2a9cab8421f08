/**
 * The driver on a simulated clock (src/util/simulated_clock.ts): it reads time only through the
 * Clock it is given, so elections, deadlines and contact times follow simulated time and never
 * the machine's. Each test lets real time pass (the disk and microtasks run) while simulated
 * time stands still, and sees nothing time-driven happen until the simulated clock moves.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { electionTimeoutTicks, tickIntervalMs } from "../../src/cluster/cluster_limits.ts";
import { startKeyValueReplica } from "../../src/cluster/key_value_replica.ts";
import { encodeEntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import { MemoryRaftStorage } from "../../src/cluster/storage/memory_raft_storage.ts";
import { MemoryPeerNetwork } from "../../src/cluster/transport/memory_peer_transport.ts";
import { Engine } from "../../src/engine/engine.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";

/** Rounds of "run what is queued, let the event loop turn" that settle a driver with nothing time-driven to do. */
const settleRounds = 50;
const electionTimeoutMs = electionTimeoutTicks * tickIntervalMs;

const opened: Array<{ close(): Promise<void> }> = [];
const directories: string[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

/** Starts node `id` of a group of `voters` on `network`, with `clock` for its time. */
async function startDriver(clock: SimulatedClock, network: MemoryPeerNetwork, id: number, voters: number[]) {
  const directory = await mkdtemp(join(tmpdir(), "filestore-driver-clock-"));
  directories.push(directory);
  const engine = await Engine.open({ dir: directory, fsync: "unsafe-no-fsync", autoCompaction: false });
  opened.push(engine);
  const peers = new Map(voters.map((voter) => [voter, `memory:${voter}`] as const));
  const { driver } = await startKeyValueReplica({
    nodeId: id,
    storage: new MemoryRaftStorage({ voters, learners: [] }),
    transport: network.join(id, peers),
    engine,
    peers,
    self: { clientAddress: `client:${id}`, adminAddress: `admin:${id}`, peerAddress: `memory:${id}` },
    clock,
    randomSeed: id,
  });
  opened.push(driver);
  return driver;
}

/** Runs the driver's queued turns and lets the event loop turn, without moving simulated time. */
async function settle(clock: SimulatedClock): Promise<void> {
  for (let round = 0; round < settleRounds; round++) {
    clock.runSoon();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Moves simulated time forward a tick at a time, settling after each. */
async function pass(clock: SimulatedClock, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += tickIntervalMs) {
    clock.advance(tickIntervalMs);
    await settle(clock);
  }
}

describe("Raft driver on a simulated clock", () => {
  test("a lone voter campaigns only once simulated time passes an election timeout", async () => {
    const clock = new SimulatedClock();
    const driver = await startDriver(clock, new MemoryPeerNetwork(), 1, [1]);
    await settle(clock);
    expect(driver.isLeader()).toBe(false);
    await pass(clock, 2 * electionTimeoutMs);
    expect(driver.isLeader()).toBe(true);
    expect(driver.lastLeaderContactMs).toBeLessThanOrEqual(clock.now());
    expect(driver.lastLeaderContactMs).toBeGreaterThan(0);
  });

  test("a leader's write without a quorum times out when simulated time passes its deadline, not before", async () => {
    const clock = new SimulatedClock();
    const network = new MemoryPeerNetwork();
    const drivers = [await startDriver(clock, network, 1, [1, 2]), await startDriver(clock, network, 2, [1, 2])];
    await pass(clock, 3 * electionTimeoutMs);
    const driver = drivers.find((candidate) => candidate.isLeader())!;
    expect(driver).toBeDefined();
    network.isolate(driver.nodeId);
    const deadlineAtMs = clock.now() + 5 * tickIntervalMs;
    let settled = "";
    const write = { kind: "write", identity: null, command: { op: "delete", key: new Uint8Array([1]) } } as const;
    driver.propose(encodeEntryPayload(write), deadlineAtMs).then(
      () => (settled = "applied"),
      (error: { code?: string }) => (settled = error.code ?? "?"),
    );
    await settle(clock);
    expect(settled).toBe("");
    await pass(clock, 4 * tickIntervalMs);
    expect(settled).toBe("");
    await pass(clock, 2 * tickIntervalMs);
    expect(settled).toBe("TIMEOUT");
  });
});
