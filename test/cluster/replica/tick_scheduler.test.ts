/**
 * The shared tick scheduler: one timer however many replicas registered, each registered tick
 * run once per interval, a cancelled one (even cancelled by another tick of the same round) not
 * run again, and the timer gone once nobody is registered. Two single-voter replica drivers on
 * one scheduler both elect themselves on its ticks alone.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ReplicaDriver } from "../../../src/cluster/replica/replica_driver.ts";
import { SharedTickScheduler } from "../../../src/cluster/replica/tick_scheduler.ts";
import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import { SimulatedClock } from "../../../src/util/simulated_clock.ts";
import { CounterMachine } from "./counter_machine.ts";

const intervalMs = 10;
const running: Array<ReplicaDriver<number, CounterMachine>> = [];
afterEach(async () => {
  for (const driver of running.splice(0)) await driver.close();
});

describe("shared tick scheduler", () => {
  test("one timer runs every registered tick once per interval; cancelled ticks stop", () => {
    const clock = new SimulatedClock();
    const scheduler = new SharedTickScheduler(clock, intervalMs);
    const counts = [0, 0, 0];
    const timers = counts.map((_, i) => scheduler.register(() => counts[i]!++));
    expect(clock.advance(intervalMs)).toBe(1);
    expect(counts).toEqual([1, 1, 1]);
    timers[1]!.cancel();
    clock.advance(intervalMs);
    expect(counts).toEqual([2, 1, 2]);
    timers[0]!.cancel();
    timers[2]!.cancel();
    expect(scheduler.size).toBe(0);
    expect(clock.advance(10 * intervalMs)).toBe(0);
  });

  test("a tick that cancels a later one in the same round keeps it from running", () => {
    const clock = new SimulatedClock();
    const scheduler = new SharedTickScheduler(clock, intervalMs);
    let laterRuns = 0;
    const later = { cancel: () => {} };
    scheduler.register(() => later.cancel());
    later.cancel = scheduler.register(() => laterRuns++).cancel;
    clock.advance(intervalMs);
    expect(laterRuns).toBe(0);
  });

  test("two replicas on one scheduler both elect themselves on its ticks", async () => {
    const clock = new SimulatedClock();
    const ticks = new SharedTickScheduler(clock, intervalMs);
    const network = new MemoryPeerNetwork();
    for (const nodeId of [1, 2]) {
      const storage = new MemoryRaftStorage({ voters: [nodeId], learners: [] });
      const machine = new CounterMachine(storage.snapshot());
      const transport = network.join(nodeId);
      running.push(ReplicaDriver.start({ nodeId, storage, transport, machine, clock, ticks, randomSeed: nodeId }));
    }
    expect(ticks.size).toBe(2);
    for (let tick = 0; tick < 100 && !running.every((driver) => driver.isLeader()); tick++) {
      expect(clock.advance(intervalMs)).toBe(1);
      clock.runSoon();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(running.every((driver) => driver.isLeader())).toBe(true);
  });
});
