/**
 * Long soak of the cluster simulation, for nightly runs rather than CI:
 *   npx bun test/sim/soak.ts [--seeds 1..5000] [--steps 3000]
 * Runs every seed for 3 and for 5 nodes; prints totals, or the first failing seed with its
 * replay command and exits 1.
 */
import { parseArgs } from "node:util";
import { parseSeedRange } from "./run.ts";
import { runSeed } from "./simulate.ts";

/** Progress is printed every this many seeds, so a long soak shows it is alive. */
const progressEverySeeds = 500;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { seeds: { type: "string", default: "1..5000" }, steps: { type: "string", default: "3000" } },
  });
  const { first, last } = parseSeedRange(values.seeds);
  const steps = Number(values.steps);
  const started = performance.now();
  let totalSteps = 0;
  let operations = 0;
  for (const nodes of [3, 5] as const) {
    for (let seed = first; seed <= last; seed++) {
      const result = await runSeed(seed, { nodes, steps });
      totalSteps += result.steps;
      operations += result.operations;
      if (!result.ok) {
        console.log(`seed ${seed} (${nodes} nodes) FAILED: ${result.failure}`);
        console.log(`replay: npx bun test/sim/run.ts --seeds ${seed} --nodes ${nodes} --steps ${steps}`);
        return 1;
      }
      if ((seed - first + 1) % progressEverySeeds === 0) console.log(`${nodes} nodes: ${seed - first + 1} seeds ok`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const seedCount = 2 * (last - first + 1);
  console.log(`soak ok: ${seedCount} seeds, ${totalSteps} steps, ${operations} client operations checked, ${seconds.toFixed(0)} s`);
  return 0;
}

if (import.meta.main) process.exit(await main());
