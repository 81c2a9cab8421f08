/**
 * Property tests: the engine against a plain Map model over random runs of put, delete, cas,
 * batch, get and scan, with restarts, checkpoints and compactions in the middle of runs.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Engine } from "../../src/engine/engine.ts";
import type { Command, CommandResult, ScanOptions } from "../../src/engine/types.ts";
import { memoryHarness, segmentedHarness, slowTestTimeoutMilliseconds, temporaryFolder, type EngineHarness } from "./helpers.ts";

type SimpleCommand = Exclude<Command, { op: "batch" }>;
type Step =
  | { kind: "command"; command: Command }
  | { kind: "get"; key: Uint8Array }
  | { kind: "scan"; options: Omit<ScanOptions, "cursor"> }
  | { kind: "restart" }
  | { kind: "checkpoint" }
  | { kind: "compact" }
  /** Exports a snapshot and installs it into the same engine: state must not change. */
  | { kind: "reinstall" };

/** Keys from four bytes (zero, 'a', 'b', 0xff) so runs collide on keys and prefixes often. */
const keyBytes = [0x00, 0x61, 0x62, 0xff];
const toAlphabet = (raw: Uint8Array) => raw.map((byte) => keyBytes[byte % keyBytes.length]);
const keyArbitrary = fc.uint8Array({ minLength: 1, maxLength: 3 }).map(toAlphabet);
const valueArbitrary = fc.uint8Array({ maxLength: 12 });
const simpleCommandArbitrary: fc.Arbitrary<SimpleCommand> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), key: keyArbitrary, value: valueArbitrary }),
  fc.record({ op: fc.constant("delete" as const), key: keyArbitrary }),
  fc.record({ op: fc.constant("cas" as const), key: keyArbitrary, expected: fc.option(valueArbitrary, { nil: null }), value: valueArbitrary }),
);
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: simpleCommandArbitrary.map((command) => ({ kind: "command" as const, command })) },
  { weight: 2, arbitrary: fc.array(simpleCommandArbitrary, { minLength: 0, maxLength: 4 }).map((commands) => ({ kind: "command" as const, command: { op: "batch" as const, commands } })) },
  { weight: 2, arbitrary: keyArbitrary.map((key) => ({ kind: "get" as const, key })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ prefix: fc.option(fc.uint8Array({ maxLength: 2 }).map(toAlphabet), { nil: undefined }), start: fc.option(keyArbitrary, { nil: undefined }), end: fc.option(keyArbitrary, { nil: undefined }), limit: fc.integer({ min: 1, max: 5 }) })
      .map((options) => ({ kind: "scan" as const, options: dropUndefined(options) })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "checkpoint" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reinstall" as const }) },
);

function dropUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}

const hex = (key: Uint8Array) => Buffer.from(key).toString("hex");

/** The reference: a Map of hex key → value and version, and a revision. */
class Model {
  readonly entries = new Map<string, { key: Uint8Array; value: Uint8Array; version: number }>();
  revision = 0;

  apply(command: Command): CommandResult {
    const simple = command.op === "batch" ? command.commands : [command];
    const pending = new Map(this.entries);
    const outcomes: Array<{ op: SimpleCommand["op"]; wrote: boolean; ok: boolean; before: number }> = [];
    const next = this.revision + 1;
    for (const each of simple) {
      const current = pending.get(hex(each.key));
      const before = this.entries.get(hex(each.key))?.version ?? 0;
      if (each.op === "delete") {
        outcomes.push({ op: "delete", wrote: current !== undefined, ok: true, before });
        pending.delete(hex(each.key));
        continue;
      }
      const holds = each.op === "put" || (each.expected === null ? current === undefined : current !== undefined && Buffer.from(current.value).equals(each.expected));
      outcomes.push({ op: each.op, wrote: holds, ok: holds, before });
      if (holds) pending.set(hex(each.key), { key: each.key.slice(), value: each.value.slice(), version: next });
    }
    const succeeded = outcomes.every((outcome) => outcome.ok);
    const wrote = succeeded && outcomes.some((outcome) => outcome.wrote);
    if (wrote) {
      this.entries.clear();
      for (const [key, entry] of pending) this.entries.set(key, entry);
      this.revision = next;
    }
    const version = this.revision;
    const results: CommandResult[] = outcomes.map((outcome) => {
      const applied = succeeded && outcome.wrote;
      if (outcome.op === "put") return { op: "put", version };
      if (outcome.op === "delete") return { op: "delete", existed: applied, version };
      return { op: "cas", succeeded: applied, version: applied ? version : outcome.before };
    });
    return command.op === "batch" ? { op: "batch", succeeded, version, results } : results[0];
  }

  scanAll(options: Omit<ScanOptions, "cursor">): string[] {
    const sorted = [...this.entries.values()].sort((left, right) => Buffer.compare(left.key, right.key));
    return sorted
      .filter((entry) => options.prefix === undefined || Buffer.from(entry.key.subarray(0, options.prefix.length)).equals(options.prefix))
      .filter((entry) => options.start === undefined || Buffer.compare(entry.key, options.start) >= 0)
      .filter((entry) => options.end === undefined || Buffer.compare(entry.key, options.end) < 0)
      .map((entry) => `${hex(entry.key)}=${hex(entry.value)}@${entry.version}`);
  }
}

function scanAllPages(engine: Engine, options: Omit<ScanOptions, "cursor">): string[] {
  const seen: string[] = [];
  let cursor: Uint8Array | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = engine.scan({ ...options, cursor });
    expect(page.entries.length).toBeLessThanOrEqual(options.limit);
    for (const entry of page.entries) seen.push(`${hex(entry.key)}=${hex(entry.value)}@${entry.version}`);
    if (page.nextCursor === null) return seen;
    cursor = page.nextCursor;
  }
  throw new Error("scan did not finish in 1000 pages");
}

async function reinstall(engine: Engine): Promise<void> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of engine.exportSnapshot()) chunks.push(chunk);
  const revision = engine.revision();
  await engine.installSnapshot(chunks);
  expect(engine.revision()).toBe(revision);
}

async function runSteps(harness: EngineHarness, steps: Step[]): Promise<void> {
  const model = new Model();
  let engine = await harness.open();
  try {
    for (const step of steps) {
      if (step.kind === "command") expect(await engine.apply(step.command)).toEqual(model.apply(step.command));
      else if (step.kind === "get") {
        const entry = engine.get(step.key);
        const expected = model.entries.get(hex(step.key));
        expect(entry === null ? null : [hex(entry.value), entry.version]).toEqual(expected === undefined ? null : [hex(expected.value), expected.version]);
      } else if (step.kind === "scan") expect(scanAllPages(engine, step.options)).toEqual(model.scanAll(step.options));
      else if (step.kind === "restart") engine = await harness.restart(engine);
      else if (step.kind === "checkpoint") await engine.checkpoint();
      else if (step.kind === "compact") expect((await engine.compact()).completed).toBe(true);
      else await reinstall(engine);
    }
    expect(scanAllPages(engine, { limit: 7 })).toEqual(model.scanAll({ limit: 7 }));
    expect(engine.revision()).toBe(model.revision);
    engine = await harness.restart(engine);
    expect(scanAllPages(engine, { limit: 7 })).toEqual(model.scanAll({ limit: 7 }));
    expect(engine.revision()).toBe(model.revision);
  } finally {
    await engine.close();
  }
}

describe("engine against a Map model", () => {
  test("on the in-memory log", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { maxLength: 80 }), async (steps) => {
        await using folder = await temporaryFolder();
        await runSteps(memoryHarness(folder.path, 4), steps);
      }),
      { numRuns: 150 },
    );
  }, slowTestTimeoutMilliseconds);

  test("on the segmented log with tiny segments", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { maxLength: 60 }), async (steps) => {
        await using folder = await temporaryFolder();
        await runSteps(segmentedHarness(folder.path, 512), steps);
      }),
      { numRuns: 25 },
    );
  }, slowTestTimeoutMilliseconds);
});
