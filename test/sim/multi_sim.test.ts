/**
 * The many-group simulation as a test (multi_world.ts): nodes each running replicas of many
 * groups over one real shared log on a simulated disk, one tick scheduler and one group
 * multiplexer, under node crashes (every group's unsynced tail lost at once, torn tails cut by
 * the real recovery), pauses, partitions, message faults and slow disks, must keep every group's
 * safety properties after every step, recover every group after healing and give linearizable
 * histories; each planted bug must be caught within the seed budget; seeds replay exactly; and
 * the crash model must really be the node's: crashes take several groups' unsynced records at once.
 * A failure prints its seed; test/sim/multi_run.ts replays it.
 */
import { describe, expect, test } from "bun:test";
import { multiDefaultSteps } from "./multi_run.ts";
import { type MultiSeedOptions, type MultiSeedResult, runMultiSeed } from "./multi_simulate.ts";
import type { MultiMutation } from "./multi_world.ts";

/**
 * Seeds per layout in CI; multi_run.ts --soak runs thousands. Measured on the shared 2-core
 * machine: about 1-1.5 seeds per second at 4 groups, 0.9-1.2 at 8, so the sweeps take ~25 s.
 */
const ciLayouts: ReadonlyArray<{ nodes: 3 | 5; groups: number; seeds: number }> = [
  { nodes: 3, groups: 4, seeds: 16 },
  { nodes: 3, groups: 8, seeds: 6 },
  { nodes: 5, groups: 8, seeds: 8 },
];
/** A planted bug must be caught within this many seeds (measured: each is caught at the first). */
const mutationSeedBudget = 10;
/** Seeds of the check that misrouting is harmless where replica ids differ per group. */
const misrouteHarmlessSeeds = 3;
/** Per-test limit of the seed sweeps: only stops a hang. */
const sweepTimeoutMilliseconds = 120_000;

async function firstFailure(seeds: number, options: MultiSeedOptions): Promise<MultiSeedResult | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runMultiSeed(seed, options);
    if (!result.ok) return result;
  }
  return undefined;
}

describe("many groups per node over the shared log keep every group's guarantees", () => {
  for (const { nodes, groups, seeds } of ciLayouts) {
    test(`${seeds} seeds of ${nodes} nodes with ${groups} groups`, async () => {
      const failure = await firstFailure(seeds, { nodes, groups, steps: multiDefaultSteps });
      const verdict = failure === undefined ? "all seeds ok" : `seed ${failure.seed}: ${failure.failure}`;
      expect(verdict).toBe("all seeds ok");
    }, sweepTimeoutMilliseconds);
  }

  test("a seed replays exactly", async () => {
    const first = await runMultiSeed(7, { nodes: 5, groups: 6, steps: multiDefaultSteps });
    const second = await runMultiSeed(7, { nodes: 5, groups: 6, steps: multiDefaultSteps });
    expect(second).toEqual(first);
    expect(first.operations).toBeGreaterThan(0);
  }, sweepTimeoutMilliseconds);

  test("faults really happen, and a crash takes the unsynced tail of several groups at once", async () => {
    const totals = {
      crashes: 0, crashesInGroupCommit: 0, crashesLosingSeveralGroups: 0, tornTailsCut: 0, restarts: 0, pauses: 0,
      partitions: 0, transfers: 0, slowDiskSpells: 0, snapshotsTaken: 0, segmentsDropped: 0, groupsRewritten: 0,
      operations: 0, leaseSeeds: 0,
    };
    let groupsPerWriteMax = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { stats, operations } = await runMultiSeed(seed, { nodes: 3, groups: 4, steps: multiDefaultSteps });
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) {
        if (key in stats) totals[key] += stats[key as keyof typeof stats] as number;
      }
      totals.operations += operations;
      totals.leaseSeeds += stats.leaseReads ? 1 : 0;
      groupsPerWriteMax = Math.max(groupsPerWriteMax, stats.groupsPerWriteMax);
    }
    for (const [name, count] of Object.entries(totals)) {
      expect({ name, happened: count > 0 }).toEqual({ name, happened: true });
    }
    // One write (one fdatasync) carried the records of every group of a node at once.
    expect(groupsPerWriteMax).toBe(4);
  }, sweepTimeoutMilliseconds);
});

describe("planted bugs: the simulator catches them", () => {
  const planted: Array<{ mutation: MultiMutation; options: Partial<MultiSeedOptions>; caughtAs: RegExp }> = [
    // The group commit resolves a persist at its write, before its fdatasync.
    {
      mutation: "acknowledgeBeforeSync",
      options: {},
      caughtAs: /^SafetyViolation at step \d+: (Durability|Election Safety)/,
    },
    // A crash's recovery loses every record of one group.
    { mutation: "recoveryDropsGroup", options: {}, caughtAs: /^SafetyViolation at step \d+: Recovery: .* lost group/ },
    // The node transport hands some arrivals to the next group; members share ids across groups.
    {
      mutation: "misrouteGroups",
      options: { memberIds: "node" },
      caughtAs: /^(SafetyViolation|AssertionError) at step/,
    },
  ];
  for (const { mutation, options, caughtAs } of planted) {
    test(`${mutation} is caught within ${mutationSeedBudget} seeds`, async () => {
      const failure = await firstFailure(mutationSeedBudget, { steps: multiDefaultSteps, ...options, mutation });
      expect(failure?.failure ?? "not caught").toMatch(caughtAs);
    }, sweepTimeoutMilliseconds);
  }

  test("with replica ids unique per group, the multiplexer refuses misrouted messages: no harm", async () => {
    let misaddressed = 0;
    for (let seed = 1; seed <= misrouteHarmlessSeeds; seed++) {
      const result = await runMultiSeed(seed, { steps: multiDefaultSteps, mutation: "misrouteGroups" });
      expect(result.failure ?? "ok").toBe("ok");
      misaddressed += result.stats.misaddressed;
    }
    expect(misaddressed).toBeGreaterThan(0);
  }, sweepTimeoutMilliseconds);
});

describe("multi_run.ts", () => {
  const runScript = "test/sim/multi_run.ts";
  test("prints the first failing seed with a command that replays it, and exits 1", async () => {
    const command = [process.execPath, runScript, "--seeds", "1..5", "--mutation", "acknowledgeBeforeSync"];
    const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
    const output = await new Response(child.stdout).text();
    expect(await child.exited).toBe(1);
    expect(output).toMatch(/seed \d+ FAILED \(3 nodes, 4 groups\): SafetyViolation/);
    const replay = /replay: (npx bun test\/sim\/multi_run\.ts --seeds \d+ .*)/.exec(output)?.[1] ?? "";
    expect(replay).toMatch(/--nodes 3 --groups 4 --steps 1000 --member-ids replica --mutation acknowledgeBeforeSync$/);
    const again = Bun.spawn([process.execPath, ...replay.split(" ").slice(2)], { stdout: "pipe", stderr: "pipe" });
    const replayed = await new Response(again.stdout).text();
    expect(await again.exited).toBe(1);
    expect(replayed.split("\n")[0]).toBe(output.split("\n")[0]);
  }, sweepTimeoutMilliseconds);

  test("exits 0 and prints seeds per second when every seed holds", async () => {
    const command = [process.execPath, runScript, "--seeds", "1..2", "--nodes", "5", "--groups", "3", "--steps", "200"];
    const child = Bun.spawn(command, { stdout: "pipe" });
    const output = await new Response(child.stdout).text();
    expect(await child.exited).toBe(0);
    expect(output).toMatch(/^2 seeds ok \(5 nodes, 3 groups, 200 steps each, [\d.]+ s, [\d.]+ seeds\/s\)/);
  }, sweepTimeoutMilliseconds);
});
