/**
 * Runs one seed of the many-group world (multi_world.ts): its groups open, a chaos phase of
 * `steps` steps, then a heal phase in which every group must reach a leader and every client
 * request finish within a bound (liveness), then the linearizability check of each group's
 * client history (its keys are its own). Returns what happened; never throws for a failing seed:
 * any error a step raises (a safety violation, a broken assertion, a recovery that refused to
 * open) is the seed's failure, so it is printed with its seed and replays.
 */
import { checkLinearizable } from "../lincheck/checker.ts";
import { kvModel } from "../lincheck/kv_model.ts";
import { defaultMultiWorldOptions, MultiWorld, type MultiWorldOptions } from "./multi_world.ts";
import { linearizabilityStepsMax, livenessStepsMax } from "./simulate.ts";

/** Steps allowed for every group to open at the start (one fdatasync each, no faults). */
const startStepsMax = 50;

export interface MultiSeedOptions extends Partial<Omit<MultiWorldOptions, "seed">> {
  steps: number;
}

export interface MultiSeedResult {
  seed: number;
  ok: boolean;
  failure?: string;
  steps: number;
  operations: number;
  stats: MultiWorld["stats"] & {
    groups: number;
    leaseReads: boolean;
    committed: number;
    fdatasyncs: number;
    writes: number;
    groupsPerWriteMax: number;
    tornTailsCut: number;
    snapshotsTaken: number;
    segmentsDropped: number;
    groupsRewritten: number;
    misaddressed: number;
    messagesDelivered: number;
  };
}

export async function runMultiSeed(seed: number, options: MultiSeedOptions): Promise<MultiSeedResult> {
  const world = new MultiWorld({ ...defaultMultiWorldOptions, ...options, seed });
  let failure: string | undefined;
  try {
    await world.start(startStepsMax);
    world.network.faults = world.randomNetworkFaults();
    for (let step = 0; step < options.steps; step++) await world.step(true);
    failure = (await runLiveness(world)) ?? checkHistories(world);
  } catch (error) {
    const named = error instanceof Error ? error : new Error(String(error));
    failure = `${named.name} at step ${world.now}: ${named.message}`;
  }
  let operations = 0;
  for (const workload of world.workloads.values()) operations += workload.history.length;
  return { seed, ok: failure === undefined, failure, steps: world.now, operations, stats: seedStats(world) };
}

function seedStats(world: MultiWorld): MultiSeedResult["stats"] {
  const totals = {
    fdatasyncs: 0, writes: 0, groupsPerWriteMax: 0, tornTailsCut: 0, snapshotsTaken: 0, segmentsDropped: 0,
    groupsRewritten: 0, misaddressed: 0,
  };
  for (const node of world.nodes.values()) {
    const counters = node.counters();
    totals.fdatasyncs += counters.fdatasyncs;
    totals.writes += counters.writes;
    totals.snapshotsTaken += counters.snapshotsTaken;
    totals.segmentsDropped += counters.segmentsDropped;
    totals.groupsRewritten += counters.groupsRewritten;
    totals.groupsPerWriteMax = Math.max(totals.groupsPerWriteMax, node.groupsPerWriteMax);
    totals.tornTailsCut += node.tornTailsCut;
    totals.misaddressed += counters.misaddressed;
  }
  let committed = 0;
  for (const monitor of world.monitors.values()) committed += monitor.highestCommitted;
  return {
    ...world.stats, ...totals, committed, groups: world.options.groups, leaseReads: world.leaseReads,
    messagesDelivered: world.network.delivered,
  };
}

/** After healing: every group has a leader that committed, and no client request is pending. */
async function runLiveness(world: MultiWorld): Promise<string | undefined> {
  world.heal();
  for (const workload of world.workloads.values()) workload.accepting = false;
  const healedAt = world.now;
  for (let step = 0; step < livenessStepsMax; step++) {
    await world.step(false);
    if (settled(world)) {
      world.stats.stepsToSettle = world.now - healedAt;
      return undefined;
    }
  }
  const stuck = [...world.workloads.keys()].filter((group) => !groupSettled(world, group));
  const what = "lack a leader or still have pending requests";
  return `Liveness: after healing, groups ${stuck.join(",")} ${what} after ${livenessStepsMax} steps`;
}

function settled(world: MultiWorld): boolean {
  return [...world.workloads.keys()].every((group) => groupSettled(world, group));
}

function groupSettled(world: MultiWorld, group: number): boolean {
  const leader = world.leader(group);
  if (leader === undefined || leader.replica().status().commit === 0) return false;
  return world.workloads.get(group)!.pendingCount() === 0;
}

function checkHistories(world: MultiWorld): string | undefined {
  for (const [group, workload] of world.workloads) {
    const history = [...workload.history, ...workload.pendingOperations()];
    const result = checkLinearizable(kvModel, history, { maxSteps: linearizabilityStepsMax });
    if (result.result !== "ok") return `Linearizability (${result.result}) of group ${group}: ${result.message}`;
  }
  return undefined;
}
