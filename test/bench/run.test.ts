/**
 * The benchmark runner bench/run.ts: selecting parts, skipping missing or broken ones, reporting a
 * part that throws, and warning about a busy machine.
 */
import { describe, expect, test } from "bun:test";
import { busyMachineWarning, describeOutcome, parseIdleSeconds, parts, runPart } from "../../bench/run.ts";

describe("bench/run.ts", () => {
  test("every part the issues name can be selected", () => {
    const names = ["log", "wal", "engine", "raft", "net", "etcd", "replicated", "placement", "sharded", "idle"];
    expect(parts.map((part) => part.name)).toEqual(names);
  });

  test("a part whose module is missing is skipped with a line saying which file", async () => {
    const outcome = await runPart({ name: "future", module: "./no_such_part.ts", entry: "runFutureBench" }, { json: false, quick: true });
    expect(outcome).toEqual({ part: "future", status: "skipped", reason: "bench/no_such_part.ts is not there yet" });
    expect(describeOutcome(outcome)).toBe("future: skipped (bench/no_such_part.ts is not there yet)");
  });

  test("a module without the expected export is skipped, not crashed", async () => {
    const outcome = await runPart({ name: "table", module: "./lib/table.ts", entry: "runTableBench" }, { json: false, quick: true });
    expect(outcome.status).toBe("skipped");
    expect(outcome.reason).toContain("does not export runTableBench()");
  });

  test("a part that throws is reported as failed with its error, and the run goes on", async () => {
    const part = { name: "throwing", module: "../test/bench/throwing_part_fixture.ts", entry: "runThrowingBench" };
    const outcome = await runPart(part, { json: false, quick: true });
    expect(outcome).toEqual({ part: "throwing", status: "failed", reason: "BenchError: peer did not start" });
    expect(describeOutcome(outcome)).toBe("throwing: FAILED (BenchError: peer did not start)");
  });

  test("--idle-seconds takes a positive number of seconds; anything else is marked NaN for the usage line", () => {
    expect(parseIdleSeconds(undefined)).toBeUndefined();
    expect(parseIdleSeconds("30")).toBe(30);
    expect(parseIdleSeconds("2.5")).toBe(2.5);
    for (const bad of ["", "0", "-3", "ten", "Infinity"]) expect(parseIdleSeconds(bad)).toBeNaN();
  });

  test("a load average above the CPU count is called out", () => {
    expect(busyMachineWarning(1.5, 2)).toBeNull();
    expect(busyMachineWarning(8.5, 2)).toBe("warning: machine busy (load average 8.5 on 2 CPUs): P99 and above include waits for a CPU");
  });
});
