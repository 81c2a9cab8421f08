/**
 * The replica driver over a state machine that is not the key-value one (a counter, as the
 * coordinator's machine will be another): it applies every committed entry once, in order,
 * answers each proposal with the machine's own outcome, takes the machine's snapshots and compacts
 * the log behind them, and a replica restarted on the same storage starts from that snapshot.
 * Simulated time (src/util/simulated_clock.ts) drives it; nothing waits on the machine's clock.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ReplicaDriver } from "../../../src/cluster/replica/replica_driver.ts";
import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import { SimulatedClock } from "../../../src/util/simulated_clock.ts";
import { CounterMachine, decodeTotal } from "./counter_machine.ts";

const tickIntervalMs = 10;
/** Rounds of "run the queued turns, let microtasks and the in-memory network run" per tick. */
const settleRounds = 20;

const running: Array<ReplicaDriver<number, CounterMachine>> = [];
afterEach(async () => {
  for (const driver of running.splice(0)) await driver.close();
});

function startReplica(clock: SimulatedClock, storage: MemoryRaftStorage): ReplicaDriver<number, CounterMachine> {
  const driver = ReplicaDriver.start<number, CounterMachine>({
    nodeId: 1,
    storage,
    transport: new MemoryPeerNetwork().join(1),
    machine: new CounterMachine(storage.snapshot()),
    clock,
    tickIntervalMs,
    snapshotEveryEntries: 5,
    entriesKeptAfterSnapshot: 1,
    randomSeed: 1,
  });
  running.push(driver);
  return driver;
}

async function settle(clock: SimulatedClock): Promise<void> {
  for (let round = 0; round < settleRounds; round++) {
    clock.runSoon();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function untilLeader(clock: SimulatedClock, driver: ReplicaDriver<number, CounterMachine>): Promise<void> {
  for (let tick = 0; tick < 100 && !driver.isLeader(); tick++) {
    clock.advance(tickIntervalMs);
    await settle(clock);
  }
  expect(driver.isLeader()).toBe(true);
}

describe("replica driver over another state machine", () => {
  test("every committed entry applied once in order, proposals answered with the machine's outcome", async () => {
    const clock = new SimulatedClock();
    const driver = startReplica(clock, new MemoryRaftStorage({ voters: [1], learners: [] }));
    await untilLeader(clock, driver);
    const outcomes = [1, 2, 3].map((amount) => driver.propose(new Uint8Array([amount]), Infinity));
    await settle(clock);
    expect(await Promise.all(outcomes)).toEqual([1, 3, 6]);
    const applied = driver.machine.appliedIndexes;
    expect(applied).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
  });

  test("snapshots come from the machine, the log is compacted behind them, and a restart starts from one", async () => {
    const clock = new SimulatedClock();
    const storage = new MemoryRaftStorage({ voters: [1], learners: [] });
    const driver = startReplica(clock, storage);
    await untilLeader(clock, driver);
    for (let write = 1; write <= 12; write++) {
      const outcome = driver.propose(new Uint8Array([1]), Infinity);
      await settle(clock);
      expect(await outcome).toBe(write);
    }
    expect(driver.counters.snapshotsTaken).toBeGreaterThan(0);
    expect(storage.snapshot().metadata.index).toBeGreaterThanOrEqual(5);
    expect(storage.firstIndex()).toBe(storage.snapshot().metadata.index);
    await driver.close();
    const restarted = startReplica(clock, storage);
    expect(restarted.machine.appliedIndex).toBe(storage.snapshot().metadata.index);
    expect(restarted.machine.total).toBe(decodeTotal(storage.snapshot().data));
    await untilLeader(clock, restarted);
    const outcome = restarted.propose(new Uint8Array([1]), Infinity);
    await settle(clock);
    expect(await outcome).toBe(13);
  });
});
