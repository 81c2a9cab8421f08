/**
 * A seed of the cluster simulation with quiescence on (world.ts, sim_liveness.ts), then a check
 * the chaos phase alone cannot make: once the cluster is healed and idle, its group goes quiet
 * (every live member), and when its leader's node then crashes the others elect a new leader
 * within the normal election time, found by node liveness alone since nobody sends anything. The
 * safety monitor runs after every step throughout (World.step).
 */
import { majority } from "../../src/cluster/raft/quorum.ts";
import { AssertionError } from "../../src/util/assert.ts";
import { SafetyViolation } from "./safety_monitor.ts";
import type { SimNode } from "./sim_node.ts";
import { livenessStepsMax } from "./simulate.ts";
import { defaultWorldOptions, World, type WorldOptions } from "./world.ts";

/**
 * Steps (a tick each once healed) for an idle group to go quiet: the idle wait (15 ticks) and a few
 * message delays, after catching up a follower that fell behind, by a snapshot in small chunks
 * when need be (measured: up to about 70 steps).
 */
const quietStepsMax = 200;
/**
 * Steps from the leader's crash to a new leader: the followers' lapse (an election timeout, 10
 * ticks), the rest of a randomized timeout (up to 10 more), split votes' further timeouts, and
 * pre-vote and vote rounds over 1-2 step delays. Measured over 200 seeds of 3 nodes and 100 of 5:
 * median 20, worst 103; an awake group's (quiescence off, same check) median 21, worst 82.
 */
const failoverStepsMax = 150;

export interface QuietSeedResult {
  seed: number;
  failure: string | undefined;
  /** Whether the crash-the-quiet-leader check ran (a majority must survive the crash). */
  failoverChecked: boolean;
  failoverSteps: number;
  quiescences: number;
  wakes: number;
}

/**
 * One seed; with `quiescence: false` the same check without node liveness (the group never goes
 * quiet, so only the failover is timed): the yardstick a quiet group's failover is held to.
 */
export async function runQuietSeed(seed: number, options: Partial<Omit<WorldOptions, "seed">> & { steps: number }) {
  const world = new World({ ...defaultWorldOptions, quiescence: true, ...options, seed });
  const result: QuietSeedResult = {
    seed, failure: undefined, failoverChecked: false, failoverSteps: 0, quiescences: 0, wakes: 0,
  };
  try {
    world.network.faults = world.randomNetworkFaults();
    for (let step = 0; step < options.steps; step++) await world.step(true);
    result.failure = (await settle(world)) ?? (await failOver(world, result));
  } catch (error) {
    if (!(error instanceof SafetyViolation || error instanceof AssertionError)) throw error;
    result.failure = `${error.name} at step ${world.now}: ${error.message}`;
  }
  for (const node of world.liveNodes()) {
    result.quiescences += node.replica().counters.quiescences;
    result.wakes += node.replica().counters.wakes;
  }
  return result;
}

/** Heals, stops the workload, and waits for a leader with nothing pending, then for the group to go quiet. */
async function settle(world: World): Promise<string | undefined> {
  world.heal();
  world.workload.accepting = false;
  const settled = () => {
    const leader = world.leader();
    return leader !== undefined && leader.replica().status().commit > 0 && world.workload.pendingCount() === 0;
  };
  if (!(await stepUntil(world, settled, livenessStepsMax))) return "Liveness: no settled leader after healing";
  if (world.options.quiescence && !(await stepUntil(world, () => groupQuiet(world), quietStepsMax))) {
    return `Quiescence: the idle group did not go quiet within ${quietStepsMax} steps`;
  }
  return undefined;
}

/** Crashes the quiet leader's node; the others must elect one within failoverStepsMax steps. */
async function failOver(world: World, result: QuietSeedResult): Promise<string | undefined> {
  const leader = world.leader()!;
  const { voters } = leader.replica().status().confState;
  const survivors = voters.filter((voter) => voter !== leader.id && world.nodes.get(voter)?.up === true);
  if (survivors.length < majority(voters.length)) return undefined;
  result.failoverChecked = true;
  world.monitor.recordCommitted(leader);
  leader.crash();
  const start = world.now;
  const elected = () => {
    const next = world.leader();
    return next !== undefined && next !== leader && next.replica().status().commit > 0;
  };
  if (await stepUntil(world, elected, failoverStepsMax)) {
    result.failoverSteps = world.now - start;
    return undefined;
  }
  return `Failover: the quiet group's leader crashed and no new leader was elected within ${failoverStepsMax} steps`;
}

/** Every live member of the leader's membership is quiet. */
function groupQuiet(world: World): boolean {
  const leader = world.leader();
  if (leader === undefined || !leader.replica().isQuiesced()) return false;
  const { voters, learners } = leader.replica().status().confState;
  const members = [...voters, ...learners].map((id) => world.nodes.get(id));
  const live = members.filter((node): node is SimNode => node?.up === true);
  return live.every((node) => node.replica().isQuiesced());
}

async function stepUntil(world: World, done: () => boolean, stepsMax: number): Promise<boolean> {
  for (let step = 0; step < stepsMax; step++) {
    if (done()) return true;
    await world.step(false);
  }
  return done();
}
