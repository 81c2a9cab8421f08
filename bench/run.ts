/**
 * Entry point of the benchmarks:
 *   npx bun bench/run.ts [all|log|wal|engine|raft|net|etcd|replicated|placement|sharded|idle] [--json] [--quick]
 *                        [--idle-seconds N]
 * Each part lives in its own module and is loaded on demand; a part whose module is not there
 * yet is skipped with a line saying so. `--json` prints one JSON document on stdout (tables go
 * to stderr); `--quick` shortens every run for a smoke check (numbers are then only indicative);
 * `--idle-seconds` sets the idle window of `sharded` (30 s by default, 3 s with --quick).
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { formatSection } from "./lib/table.ts";
import type { SectionResult } from "./lib/result.ts";

export interface PartOptions {
  json: boolean;
  quick: boolean;
  /** The idle window of the sharded part, seconds; its default when absent. */
  idleSeconds?: number;
}

interface Part {
  name: string;
  /** Module path relative to this file. */
  module: string;
  /** Name of the exported function that runs the part. */
  entry: string;
}

export const parts: Part[] = [
  { name: "log", module: "./log.ts", entry: "runLogBench" },
  { name: "wal", module: "./shared_log.ts", entry: "runSharedLogBench" },
  { name: "engine", module: "./engine.ts", entry: "runEngineBench" },
  { name: "raft", module: "./raft.ts", entry: "runRaftBench" },
  { name: "net", module: "./net.ts", entry: "runNetBench" },
  { name: "etcd", module: "./peers/etcd.ts", entry: "runEtcdBench" },
  { name: "replicated", module: "./replicated.ts", entry: "runReplicatedBench" },
  { name: "placement", module: "./placement.ts", entry: "runPlacementBench" },
  { name: "sharded", module: "./sharded.ts", entry: "runShardedBench" },
  { name: "idle", module: "./idle.ts", entry: "runIdleBench" },
];

export interface PartOutcome {
  part: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  result?: unknown;
}

export async function runPart(part: Part, options: PartOptions): Promise<PartOutcome> {
  const path = new URL(part.module, import.meta.url).pathname;
  if (!(await Bun.file(path).exists())) {
    return { part: part.name, status: "skipped", reason: `bench/${part.module.slice(2)} is not there yet` };
  }
  try {
    const loaded = (await import(path)) as Record<string, unknown>;
    const entry = loaded[part.entry];
    if (typeof entry !== "function") {
      return { part: part.name, status: "skipped", reason: `bench/${part.module.slice(2)} does not export ${part.entry}()` };
    }
    const result: unknown = await entry(options);
    return { part: part.name, status: "ok", result };
  } catch (error) {
    return { part: part.name, status: "failed", reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function isSectionResult(value: unknown): value is SectionResult {
  return typeof value === "object" && value !== null && "section" in value && "measurements" in value;
}

function sections(result: unknown): SectionResult[] {
  if (isSectionResult(result)) return [result];
  if (Array.isArray(result)) return result.filter(isSectionResult);
  return [];
}

export function describeOutcome(outcome: PartOutcome): string {
  if (outcome.status === "skipped") return `${outcome.part}: skipped (${outcome.reason})`;
  if (outcome.status === "failed") return `${outcome.part}: FAILED (${outcome.reason})`;
  const printable = sections(outcome.result);
  if (printable.length > 0) return printable.map(formatSection).join("\n\n");
  return `${outcome.part}: done`;
}

function parseCommandLine(argv: string[]): { selected: Part[]; options: PartOptions } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      "idle-seconds": { type: "string" },
    },
    allowPositionals: true,
  });
  const which = positionals[0] ?? "all";
  const selected = which === "all" ? parts : parts.filter((part) => part.name === which);
  const idleSeconds = parseIdleSeconds(values["idle-seconds"]);
  if (selected.length === 0 || positionals.length > 1 || Number.isNaN(idleSeconds)) {
    const names = parts.map((part) => part.name).join("|");
    console.error(`usage: bun bench/run.ts [all|${names}] [--json] [--quick] [--idle-seconds N (a positive number)]`);
    process.exit(2);
  }
  return { selected, options: { json: values.json ?? false, quick: values.quick ?? false, idleSeconds } };
}

/** The --idle-seconds value: undefined when not given, NaN when not a positive number of seconds. */
export function parseIdleSeconds(given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  const seconds = Number(given);
  return given.trim() !== "" && Number.isFinite(seconds) && seconds > 0 ? seconds : Number.NaN;
}

async function main(): Promise<void> {
  const { selected, options } = parseCommandLine(process.argv.slice(2));
  // With --json, stdout carries only the JSON document; tables printed by parts go to stderr.
  const print = options.json ? console.error : console.log;
  const originalLog = console.log;
  if (options.json) console.log = console.error;
  const outcomes: PartOutcome[] = [];
  print(`machine: ${JSON.stringify(machineDescription())}`);
  for (const part of selected) {
    print(`-- ${part.name} --`);
    const outcome = await runPart(part, options);
    outcomes.push(outcome);
    print(describeOutcome(outcome));
    const busy = busyMachineWarning();
    if (busy) print(busy);
    print("");
  }
  print(`machine at the end: ${JSON.stringify(machineDescription())}`);
  console.log = originalLog;
  if (options.json) console.log(JSON.stringify({ machine: machineDescription(), outcomes }, null, 2));
  if (outcomes.some((outcome) => outcome.status === "failed")) process.exitCode = 1;
}

/** A line when other work competed for the CPUs during the part, since then tails measure scheduling too. */
export function busyMachineWarning(loadAverage1m = loadavg()[0], cpuCount = cpus().length): string | null {
  if (loadAverage1m <= cpuCount) return null;
  return `warning: machine busy (load average ${loadAverage1m.toFixed(1)} on ${cpuCount} CPUs): P99 and above include waits for a CPU`;
}

function machineDescription(): Record<string, unknown> {
  // The load average says how shared the machine was: on a busy one, tails grow for everyone.
  const [loadAverage1m] = loadavg();
  return { bun: Bun.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: process.platform, loadAverage1m };
}

if (import.meta.main) await main();
