/**
 * Runs the simulation over a range of seeds:
 *   npx bun test/sim/run.ts --seeds 1..200 [--nodes 3|5] [--steps 1500] [--mutation name]
 * where a mutation is a key of UnsafeMutations (src/cluster/raft/config.ts), unsafeLocalReads
 * (clients skip ReadIndex) or unsafeSendBeforePersist (the real driver sends before persisting,
 * its options.unsafe.sendBeforePersist).
 * Exits 0 when every seed holds; otherwise prints the first failing seed, why, and the
 * command that replays it, and exits 1.
 */
import { parseArgs } from "node:util";
import type { UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { runSeed } from "./simulate.ts";

export const defaultSteps = 1500;

export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text);
  if (match === null) throw new Error(`--seeds wants A..B or A, got ${text}`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (last < first) throw new Error(`--seeds ${text}: the range is empty`);
  return { first, last };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "1..100" },
      nodes: { type: "string", default: "3" },
      steps: { type: "string", default: String(defaultSteps) },
      mutation: { type: "string" },
    },
  });
  const { first, last } = parseSeedRange(values.seeds);
  const nodes = Number(values.nodes);
  if (nodes !== 3 && nodes !== 5) throw new Error("--nodes must be 3 or 5");
  const steps = Number(values.steps);
  const mutation = values.mutation;
  const unsafeLocalReads = mutation === "unsafeLocalReads";
  const unsafeSendBeforePersist = mutation === "unsafeSendBeforePersist";
  const worldMutation = unsafeLocalReads || unsafeSendBeforePersist;
  const unsafeMutations: UnsafeMutations = mutation === undefined || worldMutation ? {} : { [mutation]: true };
  const started = performance.now();
  let totalSteps = 0;
  let settleStepsMax = 0;
  let appliedDuringWrite = 0;
  for (let seed = first; seed <= last; seed++) {
    const result = await runSeed(seed, { nodes, steps, unsafeMutations, unsafeLocalReads, unsafeSendBeforePersist });
    totalSteps += result.steps;
    settleStepsMax = Math.max(settleStepsMax, result.stats.stepsToSettle);
    appliedDuringWrite += result.stats.entriesAppliedDuringWrite;
    if (!result.ok) {
      const mutationFlag = values.mutation === undefined ? "" : ` --mutation ${values.mutation}`;
      console.log(`seed ${seed} FAILED: ${result.failure}`);
      console.log(`replay: npx bun test/sim/run.ts --seeds ${seed} --nodes ${nodes} --steps ${steps}${mutationFlag}`);
      return 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${last - first + 1} seeds ok (${nodes} nodes, ${totalSteps} steps, ${seconds.toFixed(1)} s; slowest recovery after healing: ${settleStepsMax} steps; ${appliedDuringWrite} entries applied during their own slow write)`);
  return 0;
}

if (import.meta.main) process.exit(await main());
