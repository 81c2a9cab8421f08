/**
 * Runs the many-group simulation (multi_world.ts) over a range of seeds:
 *   npx bun test/sim/multi_run.ts --seeds 1..200 [--nodes 3|5] [--groups 4] [--steps 1000]
 *     [--member-ids replica|node] [--mutation acknowledgeBeforeSync|recoveryDropsGroup|misrouteGroups]
 * Exits 0 when every seed holds, printing seeds per second; otherwise prints the first failing
 * seed, why, and the command that replays it exactly, and exits 1. With --soak it runs every
 * seed on 3 nodes with 4 and 8 groups and on 5 nodes with 8 and 16 groups, printing progress:
 * the nightly run of thousands of seeds (npx bun test/sim/multi_run.ts --soak --seeds 1..2000).
 */
import { parseArgs } from "node:util";
import type { MemberIds } from "./multi_node.ts";
import { runMultiSeed } from "./multi_simulate.ts";
import type { MultiMutation } from "./multi_world.ts";
import { parseSeedRange } from "./run.ts";

export const multiDefaultSteps = 1000;
const mutations: readonly MultiMutation[] = ["acknowledgeBeforeSync", "recoveryDropsGroup", "misrouteGroups"];
/** The layouts a soak runs every seed on: nodes and groups. */
const soakLayouts: ReadonlyArray<{ nodes: 3 | 5; groups: number }> = [
  { nodes: 3, groups: 4 }, { nodes: 3, groups: 8 }, { nodes: 5, groups: 8 }, { nodes: 5, groups: 16 },
];
/** Progress is printed every this many seeds of a soak, so a long run shows it is alive. */
const progressEverySeeds = 250;

interface RunSettings {
  nodes: 3 | 5;
  groups: number;
  steps: number;
  memberIds: MemberIds;
  mutation: MultiMutation | null;
}

/** The command that replays `seed` with `settings` exactly. */
export function replayCommand(seed: number, settings: RunSettings): string {
  const mutation = settings.mutation === null ? "" : ` --mutation ${settings.mutation}`;
  const layout = `--nodes ${settings.nodes} --groups ${settings.groups} --steps ${settings.steps}`;
  return `npx bun test/sim/multi_run.ts --seeds ${seed} ${layout} --member-ids ${settings.memberIds}${mutation}`;
}

/** Runs seeds first..last; returns the seeds run, or prints the failing one and returns null. */
async function runRange(first: number, last: number, settings: RunSettings, progress: boolean): Promise<number | null> {
  for (let seed = first; seed <= last; seed++) {
    const result = await runMultiSeed(seed, settings);
    if (!result.ok) {
      console.log(`seed ${seed} FAILED (${settings.nodes} nodes, ${settings.groups} groups): ${result.failure}`);
      console.log(`replay: ${replayCommand(seed, settings)}`);
      return null;
    }
    if (progress && (seed - first + 1) % progressEverySeeds === 0) {
      console.log(`${settings.nodes} nodes, ${settings.groups} groups: ${seed - first + 1} seeds ok`);
    }
  }
  return last - first + 1;
}

function readSettings(values: Record<string, string | boolean | undefined>): RunSettings {
  const nodes = Number(values.nodes);
  if (nodes !== 3 && nodes !== 5) throw new Error("--nodes must be 3 or 5");
  const memberIds = values["member-ids"];
  if (memberIds !== "replica" && memberIds !== "node") throw new Error("--member-ids must be replica or node");
  const mutation = (values.mutation ?? null) as MultiMutation | null;
  if (mutation !== null && !mutations.includes(mutation)) {
    throw new Error(`--mutation must be one of ${mutations.join(", ")}`);
  }
  return { nodes, groups: Number(values.groups), steps: Number(values.steps), memberIds, mutation };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "1..50" },
      nodes: { type: "string", default: "3" },
      groups: { type: "string", default: "4" },
      steps: { type: "string", default: String(multiDefaultSteps) },
      "member-ids": { type: "string", default: "replica" },
      mutation: { type: "string" },
      soak: { type: "boolean", default: false },
    },
  });
  const { first, last } = parseSeedRange(values.seeds);
  const settings = readSettings(values);
  const layouts = values.soak ? soakLayouts : [{ nodes: settings.nodes, groups: settings.groups }];
  const started = performance.now();
  let seedsRun = 0;
  for (const layout of layouts) {
    const ran = await runRange(first, last, { ...settings, ...layout }, values.soak);
    if (ran === null) return 1;
    seedsRun += ran;
  }
  const seconds = (performance.now() - started) / 1000;
  const shape = values.soak ? "soak layouts" : `${settings.nodes} nodes, ${settings.groups} groups`;
  const rate = `${seconds.toFixed(1)} s, ${(seedsRun / seconds).toFixed(2)} seeds/s`;
  console.log(`${seedsRun} seeds ok (${shape}, ${settings.steps} steps each, ${rate})`);
  return 0;
}

if (import.meta.main) process.exit(await main());
