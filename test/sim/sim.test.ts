/**
 * The cluster simulation as a test: a few hundred seeds of 3- and 5-node clusters, each node the
 * real replica driver on simulated time, disk and network, under faults must keep every safety
 * property, recover after healing and produce linearizable histories; and each deliberate safety
 * bug (UnsafeMutations in the core, sending before persisting in the real driver through its
 * test-only option, stale local reads in the client) must be caught within the CI seed budget.
 * Seeds are deterministic: a failure here replays with run.ts.
 */
import { describe, expect, test } from "bun:test";
import type { UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { parseSeedRange } from "./run.ts";
import { runSeed, type SeedResult } from "./simulate.ts";

/** Seeds per cluster size in CI; the soak script (soak.ts) runs thousands. */
const ciSeedsThreeNodes = 400;
const ciSeedsFiveNodes = 200;
/** A mutation must be caught within this many seeds (measured: each is caught within the first 50). */
const mutationSeedBudget = 150;
const stepsPerSeed = 1500;
/**
 * Per-test limit for the seed sweeps. Measured with the real driver: the whole file takes about
 * 30 s on the shared 2-core machine (400 + 200 seeds: 17 s and 15 s), so this only stops a hang.
 */
const seedSweepTimeoutMilliseconds = 120_000;

async function firstFailure(nodes: 3 | 5, seeds: number, unsafeMutations: UnsafeMutations = {}) {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runSeed(seed, { nodes, steps: stepsPerSeed, unsafeMutations });
    if (!result.ok) return result;
  }
  return undefined;
}

describe("simulated cluster keeps Raft's guarantees", () => {
  test(`${ciSeedsThreeNodes} seeds of a 3-node cluster`, async () => {
    const failure = await firstFailure(3, ciSeedsThreeNodes);
    expect(failure === undefined ? "all seeds ok" : `seed ${failure.seed}: ${failure.failure}`).toBe("all seeds ok");
  }, seedSweepTimeoutMilliseconds);

  test(`${ciSeedsFiveNodes} seeds of a 5-node cluster`, async () => {
    const failure = await firstFailure(5, ciSeedsFiveNodes);
    expect(failure === undefined ? "all seeds ok" : `seed ${failure.seed}: ${failure.failure}`).toBe("all seeds ok");
  }, seedSweepTimeoutMilliseconds);

  test("a seed replays exactly", async () => {
    const first = await runSeed(42, { nodes: 5, steps: stepsPerSeed });
    const second = await runSeed(42, { nodes: 5, steps: stepsPerSeed });
    expect(second).toEqual(first);
    expect(first.operations).toBeGreaterThan(0);
    expect(first.stats.committed).toBeGreaterThan(0);
  });

  test("faults really happen: crashes, partitions, transfers, membership changes, snapshots sent in chunks, slow writes (and entries applied during them), lease seeds", async () => {
    const totals = { crashes: 0, partitions: 0, transfers: 0, timeoutNows: 0, membershipChanges: 0, snapshotsTaken: 0, snapshotChunks: 0, slowWrites: 0, entriesAppliedDuringWrite: 0, leaseSeeds: 0, operations: 0 };
    for (let seed = 1; seed <= 20; seed++) {
      const { stats, operations } = await runSeed(seed, { nodes: 3, steps: stepsPerSeed });
      const { leaseReads, ...counts } = stats;
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) if (key in counts) totals[key] += counts[key as keyof typeof counts];
      totals.leaseSeeds += leaseReads ? 1 : 0;
      totals.operations += operations;
    }
    for (const count of Object.values(totals)) expect(count).toBeGreaterThan(0);
  }, seedSweepTimeoutMilliseconds);
});

describe("mutation checks: the simulator catches deliberate safety bugs", () => {
  const mutations: (keyof UnsafeMutations)[] = ["commitPriorTermByCounting", "forgetVoteOnRestart", "grantVoteWithoutLogCheck", "countLeaderBeforePersist"];
  for (const mutation of mutations) {
    test(`${mutation} is caught within ${mutationSeedBudget} seeds`, async () => {
      const failure = await firstFailure(3, mutationSeedBudget, { [mutation]: true });
      expect(failure).toBeDefined();
      // A safety property must fail, not merely liveness.
      expect(failure?.failure ?? "").toMatch(/^(SafetyViolation|AssertionError)/);
    }, seedSweepTimeoutMilliseconds);
  }
});

describe("mutation check of the driver: sending before persisting is caught", () => {
  test(`messages sent before their Ready is persisted are caught within ${mutationSeedBudget} seeds`, async () => {
    let failure: SeedResult | undefined;
    for (let seed = 1; seed <= mutationSeedBudget && failure === undefined; seed++) {
      const result = await runSeed(seed, { nodes: 3, steps: stepsPerSeed, unsafeSendBeforePersist: true });
      if (!result.ok) failure = result;
    }
    expect(failure?.failure ?? "").toMatch(/^(SafetyViolation|AssertionError)/);
  }, seedSweepTimeoutMilliseconds);
});

describe("mutation check of the client side: the linearizability checker catches stale reads", () => {
  test(`gets served locally without ReadIndex are caught within ${mutationSeedBudget} seeds`, async () => {
    let failure: SeedResult | undefined;
    for (let seed = 1; seed <= mutationSeedBudget && failure === undefined; seed++) {
      const result = await runSeed(seed, { nodes: 3, steps: stepsPerSeed, unsafeLocalReads: true });
      if (!result.ok) failure = result;
    }
    expect(failure?.failure ?? "").toMatch(/^Linearizability \(illegal\)/);
  }, seedSweepTimeoutMilliseconds);
});

describe("run.ts", () => {
  test("parses seed ranges", () => {
    expect(parseSeedRange("3..9")).toEqual({ first: 3, last: 9 });
    expect(parseSeedRange("5")).toEqual({ first: 5, last: 5 });
    expect(() => parseSeedRange("9..3")).toThrow();
    expect(() => parseSeedRange("x")).toThrow();
  });

  test("prints the first failing seed with a replay command and exits 1", async () => {
    const child = Bun.spawn([process.execPath, "test/sim/run.ts", "--seeds", "1..20", "--mutation", "grantVoteWithoutLogCheck"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const output = await new Response(child.stdout).text();
    expect(await child.exited).toBe(1);
    expect(output).toMatch(/seed \d+ FAILED: SafetyViolation/);
    const replay = /replay: npx bun test\/sim\/run\.ts --seeds \d+ --nodes 3 --steps 1500 (.*)/.exec(output);
    expect(replay?.[1]).toBe("--mutation grantVoteWithoutLogCheck");
  });

  test("exits 0 when every seed holds", async () => {
    const child = Bun.spawn([process.execPath, "test/sim/run.ts", "--seeds", "1..3", "--nodes", "5", "--steps", "300"], { stdout: "pipe" });
    const output = await new Response(child.stdout).text();
    expect(await child.exited).toBe(0);
    expect(output).toMatch(/^3 seeds ok \(5 nodes/);
  });
});
