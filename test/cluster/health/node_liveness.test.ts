/**
 * Node liveness (src/cluster/health/node_liveness.ts) on a tick scheduler the test drives and a
 * simulated clock: heartbeats every interval to every node talked to; a node heard is alive until
 * nothing was heard for the lapse (counted in this node's ticks, so a stall of this node's own
 * loop is no lapse) or it says its disk stalled; this node's own stalled disk goes into its
 * heartbeats; each change is told once; a group's view maps members to nodes.
 */
import { describe, expect, test } from "bun:test";
import { NodeLiveness } from "../../../src/cluster/health/node_liveness.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";
import type { TickScheduler } from "../../../src/cluster/replica/tick_scheduler.ts";
import type { NodeHeartbeat } from "../../../src/cluster/transport/types.ts";
import { SimulatedClock } from "../../../src/util/simulated_clock.ts";

const tickIntervalMs = 10;
const heartbeatIntervalTicks = 3;
const lapseTicks = 15;
const diskStallMsMax = 150;

/** A tick scheduler whose ticks the test runs by hand (each also moves the clock one interval). */
class HandTicks implements TickScheduler {
  readonly intervalMs = tickIntervalMs;
  private readonly ticks: Array<() => void> = [];
  constructor(private readonly clock: SimulatedClock) {}

  register(tick: () => void) {
    this.ticks.push(tick);
    return { cancel: () => this.ticks.splice(this.ticks.indexOf(tick), 1) };
  }

  run(count = 1, advanceMs = tickIntervalMs): void {
    for (let tick = 0; tick < count; tick++) {
      this.clock.advance(advanceMs);
      for (const registered of [...this.ticks]) registered();
    }
  }
}

interface Fixture {
  clock: SimulatedClock;
  ticks: HandTicks;
  liveness: NodeLiveness;
  sent: Array<{ to: NodeId; heartbeat: NodeHeartbeat }>;
  changes: number[];
  stalledSince: { ms: number | null };
}

function fixture(): Fixture {
  const clock = new SimulatedClock();
  const ticks = new HandTicks(clock);
  const sent: Fixture["sent"] = [];
  const stalledSince = { ms: null as number | null };
  const liveness = new NodeLiveness({
    nodeId: 1, clock, ticks, send: (to, heartbeat) => sent.push({ to, heartbeat }),
    diskStalledSinceMs: () => stalledSince.ms, heartbeatIntervalTicks, lapseTicks, diskStallMsMax,
  });
  const changes: number[] = [];
  liveness.onChange(() => changes.push(ticksOf(liveness)));
  liveness.setNodes([1, 2, 3]);
  return { clock, ticks, liveness, sent, changes, stalledSince };
}

const ticksOf = (liveness: NodeLiveness) => liveness.tickCount();
const healthy: NodeHeartbeat = { diskStalled: false };

describe("node liveness", () => {
  test("a heartbeat to every other node each interval, the first at the first tick", () => {
    const { ticks, sent } = fixture();
    ticks.run(1);
    expect(sent).toEqual([{ to: 2, heartbeat: healthy }, { to: 3, heartbeat: healthy }]);
    ticks.run(heartbeatIntervalTicks * 10 - 1);
    expect(sent).toHaveLength(2 * 10);
  });

  test("a node is alive once heard, lapses after the lapse ticks without a heartbeat, lives again when heard", () => {
    const { ticks, liveness, changes, clock } = fixture();
    expect(liveness.isAlive(2)).toBe(false);
    expect(liveness.ticksSinceHeard(2)).toBe(Infinity);
    ticks.run(1);
    liveness.heard(2, healthy);
    expect(liveness.isAlive(2)).toBe(true);
    expect(liveness.lastHeardMs(2)).toBe(clock.now());
    expect(changes).toEqual([1]);
    ticks.run(lapseTicks - 1);
    expect(liveness.isAlive(2)).toBe(true);
    expect(liveness.ticksSinceHeard(2)).toBe(lapseTicks - 1);
    ticks.run(1);
    expect(liveness.isAlive(2)).toBe(false);
    expect(changes).toEqual([1, 1 + lapseTicks]);
    liveness.heard(2, healthy);
    expect(liveness.isAlive(2)).toBe(true);
    expect(changes).toHaveLength(3);
    expect(liveness.stats()).toMatchObject({ heartbeatsReceived: 2, lapses: 1, revivals: 2 });
  });

  test("lapses are counted in this node's ticks: a long stall of its own loop (one late tick) is no lapse", () => {
    const { ticks, liveness } = fixture();
    liveness.heard(3, healthy);
    ticks.run(1, 100 * lapseTicks * tickIntervalMs);
    expect(liveness.isAlive(3)).toBe(true);
  });

});

describe("node liveness: stalled disks", () => {
  test("a node that says its disk stalled is not alive at once; its next healthy heartbeat brings it back", () => {
    const { liveness, changes } = fixture();
    liveness.heard(2, healthy);
    liveness.heard(2, { diskStalled: true });
    expect(liveness.isAlive(2)).toBe(false);
    expect(changes).toHaveLength(2);
    liveness.heard(2, healthy);
    expect(liveness.isAlive(2)).toBe(true);
  });

  test("this node's write outstanding past the stall bound goes into its heartbeats, and makes it not alive", () => {
    const { ticks, liveness, sent, stalledSince, clock, changes } = fixture();
    expect(liveness.isAlive(1)).toBe(true);
    stalledSince.ms = clock.now();
    ticks.run(diskStallMsMax / tickIntervalMs);
    expect(liveness.isAlive(1)).toBe(true);
    ticks.run(1);
    expect(liveness.isAlive(1)).toBe(false);
    expect(changes).toHaveLength(1);
    sent.length = 0;
    ticks.run(heartbeatIntervalTicks);
    expect(sent.map((beat) => beat.heartbeat)).toEqual([{ diskStalled: true }, { diskStalled: true }]);
    stalledSince.ms = null;
    ticks.run(1);
    expect(liveness.isAlive(1)).toBe(true);
    expect(changes).toHaveLength(2);
  });

});

describe("node liveness: nodes and groups", () => {
  test("a node dropped is forgotten (a change if it was alive); heartbeats of unknown nodes count for nothing", () => {
    const { liveness, changes, ticks, sent } = fixture();
    liveness.heard(2, healthy);
    liveness.heard(9, healthy);
    expect(liveness.isAlive(9)).toBe(false);
    liveness.setNodes([1, 3]);
    expect(liveness.isAlive(2)).toBe(false);
    expect(changes).toHaveLength(2);
    ticks.run(1);
    expect(sent).toEqual([{ to: 3, heartbeat: healthy }]);
  });

  test("a group's view maps members to nodes; a member of no known node is not alive; close stops everything", () => {
    const { liveness, ticks, sent } = fixture();
    const view = liveness.view((member) => (member >= 10 ? Math.floor(member / 10) : undefined));
    liveness.heard(2, healthy);
    expect([view.isAlive(21), view.isAlive(31), view.isAlive(11), view.isAlive(5)]).toEqual([true, false, true, false]);
    expect(view.ticksSinceHeard(21)).toBe(0);
    expect(view.ticksSinceHeard(5)).toBe(Infinity);
    let told = 0;
    const subscription = view.onChange(() => told++);
    liveness.heard(3, healthy);
    subscription.cancel();
    liveness.heard(3, { diskStalled: true });
    expect(told).toBe(1);
    liveness.close();
    sent.length = 0;
    ticks.run(heartbeatIntervalTicks);
    expect(sent).toEqual([]);
  });
});
