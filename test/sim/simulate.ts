/**
 * Runs one seed: a chaos phase of `steps` steps, then a heal phase that must reach a leader
 * and finish every pending request within a bound (liveness), then the linearizability
 * check of the client history. Returns what happened; never throws for a failing seed.
 */
import { AssertionError } from "../../src/util/assert.ts";
import { checkLinearizable } from "../lincheck/checker.ts";
import { kvModel } from "../lincheck/kv_model.ts";
import { SafetyViolation } from "./safety_monitor.ts";
import { defaultWorldOptions, World, type WorldOptions } from "./world.ts";

/**
 * Steps (one tick per node each, once healed) allowed after healing for a leader and every
 * pending request: a few election timeouts (10-20 ticks), a client retry (40 steps) and
 * snapshot catch-up. Measured worst over the 600 CI seeds: under 200 steps.
 */
export const livenessStepsMax = 400;
/** Search budget of the linearizability checker per seed: deterministic, so verdicts replay. */
export const linearizabilityStepsMax = 2_000_000;

export interface SeedOptions extends Partial<Omit<WorldOptions, "seed">> {
  steps: number;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  failure?: string;
  steps: number;
  operations: number;
  stats: World["stats"] & ReturnType<World["driverCounts"]> & {
    messagesDelivered: number;
    checks: number;
    committed: number;
    snapshotChunks: number;
    timeoutNows: number;
    leaseReads: boolean;
  };
}

export async function runSeed(seed: number, options: SeedOptions): Promise<SeedResult> {
  const world = new World({ ...defaultWorldOptions, ...options, seed });
  let failure: string | undefined;
  try {
    world.network.faults = world.randomNetworkFaults();
    for (let step = 0; step < options.steps; step++) await world.step(true);
    failure = (await runLiveness(world)) ?? checkHistory(world);
  } catch (error) {
    if (!(error instanceof SafetyViolation || error instanceof AssertionError)) throw error;
    failure = `${error.name} at step ${world.now}: ${error.message}`;
  }
  return {
    seed,
    ok: failure === undefined,
    failure,
    steps: world.now,
    operations: world.workload.history.length,
    stats: {
      ...world.stats,
      ...world.driverCounts(),
      messagesDelivered: world.network.delivered,
      checks: world.monitor.checks,
      committed: world.monitor.highestCommitted,
      snapshotChunks: world.network.deliveredByType.get("snapshot") ?? 0,
      timeoutNows: world.network.deliveredByType.get("timeoutNow") ?? 0,
      leaseReads: world.leaseReads,
    },
  };
}

async function runLiveness(world: World): Promise<string | undefined> {
  world.heal();
  world.workload.accepting = false;
  const healedAt = world.now;
  for (let step = 0; step < livenessStepsMax; step++) {
    await world.step(false);
    const leader = world.leader();
    const settled = leader !== undefined && leader.replica().status().commit > 0 && world.workload.pendingCount() === 0;
    if (settled) {
      world.stats.stepsToSettle = world.now - healedAt;
      return undefined;
    }
  }
  const leader = world.leader();
  return `Liveness: after healing, ${leader === undefined ? "no leader" : `leader ${leader.id}`} and ${world.workload.pendingCount()} pending requests after ${livenessStepsMax} steps`;
}

function checkHistory(world: World): string | undefined {
  const history = [...world.workload.history, ...world.workload.pendingOperations()];
  const result = checkLinearizable(kvModel, history, { maxSteps: linearizabilityStepsMax });
  if (result.result === "ok") return undefined;
  return `Linearizability (${result.result}): ${result.message}`;
}
