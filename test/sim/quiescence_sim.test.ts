/**
 * The cluster simulation with quiescence on (quiescence_sim.ts): seeds of 3- and 5-node clusters
 * keep every safety property at every step and produce linearizable histories with node liveness
 * running and the group going quiet and waking through crashes, partitions, transfers, membership
 * changes and lease reads; once healed and idle the group goes quiet, and when its leader then
 * crashes a new one is elected as soon as an awake group's would be. The planted bug (quiet
 * followers ignore their leader's node lapsing) must be caught.
 */
import { describe, expect, test } from "bun:test";
import { runQuietSeed, type QuietSeedResult } from "./quiescence_sim.ts";
import { runSeed } from "./simulate.ts";

const seedsThreeNodes = 60;
const seedsFiveNodes = 30;
const stepsPerSeed = 1000;
/** The planted bug is caught on the first seeds whose check runs (measured: 6 of the first 10). */
const mutationSeedBudget = 20;
/** A quiet group's median failover may exceed an awake one's by at most an election timeout (10 steps). */
const medianFailoverSlackSteps = 10;
const sweepTimeoutMs = 180_000;

async function sweep(nodes: 3 | 5, seeds: number, quiescence = true): Promise<QuietSeedResult[]> {
  const results: QuietSeedResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    results.push(await runQuietSeed(seed, { nodes, steps: stepsPerSeed, quiescence }));
  }
  return results;
}

function failures(results: QuietSeedResult[]): string {
  const failed = results.filter((result) => result.failure !== undefined);
  if (failed.length === 0) return "all seeds ok";
  return failed.map((result) => `seed ${result.seed}: ${result.failure}`).join("\n");
}

function medianFailoverSteps(results: QuietSeedResult[]): number {
  const checked = results.filter((result) => result.failoverChecked);
  const steps = checked.map((result) => result.failoverSteps).sort((a, b) => a - b);
  return steps[steps.length >> 1]!;
}

describe("simulated cluster with quiescence keeps Raft's guarantees", () => {
  for (const [nodes, seeds] of [[3, seedsThreeNodes], [5, seedsFiveNodes]] as const) {
    test(`${seeds} seeds of ${nodes} nodes: safe, quiet when idle, failing over as fast as when awake`, async () => {
      const quiet = await sweep(nodes, seeds);
      expect(failures(quiet)).toBe("all seeds ok");
      // The crash check needs a majority to survive it: most seeds end with 3 or more voters.
      expect(quiet.filter((result) => result.failoverChecked).length).toBeGreaterThan(seeds / 2);
      expect(quiet.reduce((total, result) => total + result.quiescences, 0)).toBeGreaterThan(seeds);
      expect(quiet.reduce((total, result) => total + result.wakes, 0)).toBeGreaterThan(0);
      const awake = await sweep(nodes, seeds, false);
      expect(failures(awake)).toBe("all seeds ok");
      expect(medianFailoverSteps(quiet)).toBeLessThanOrEqual(medianFailoverSteps(awake) + medianFailoverSlackSteps);
    }, sweepTimeoutMs);
  }

  test("the whole seed check (chaos, liveness after healing, linearizability) holds with quiescence on", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = await runSeed(seed, { nodes: 3, steps: 1500, quiescence: true });
      expect(result.failure === undefined ? "ok" : `seed ${seed}: ${result.failure}`).toBe("ok");
    }
  }, sweepTimeoutMs);
});

describe("mutation check of quiescence", () => {
  test(`quiet followers ignoring their leader's node lapsing: caught within ${mutationSeedBudget} seeds`, async () => {
    let caught: QuietSeedResult | undefined;
    for (let seed = 1; seed <= mutationSeedBudget && caught === undefined; seed++) {
      const result = await runQuietSeed(seed, { nodes: 3, steps: stepsPerSeed, unsafeIgnoreLivenessLapses: true });
      if (result.failure !== undefined) caught = result;
    }
    expect(caught?.failure ?? "").toMatch(/^Failover: /);
  }, sweepTimeoutMs);
});
