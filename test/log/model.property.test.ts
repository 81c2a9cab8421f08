/**
 * The segmented log against a model (an array) under random appends, truncations, compactions,
 * resets and reopens.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import type { FsyncMode } from "../../src/log/types.ts";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "./helpers.ts";

/** Bounds of the property run: cases, operations per case, payloads per append. */
const runCount = 40;
const operationsPerRunMax = 40;
const payloadsPerAppendMax = 6;
/** Fixed seed so a failure replays; fast-check prints the shrunk counterexample. */
const seed = 4_242;

type Operation =
  | { kind: "append"; payloads: Uint8Array[] }
  | { kind: "truncateSuffix"; fromEnd: number }
  | { kind: "compactPrefix"; ahead: number }
  | { kind: "resetTo"; ahead: number }
  | { kind: "reopen" };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("append" as const), payloads: fc.array(fc.uint8Array({ maxLength: 120 }), { minLength: 1, maxLength: payloadsPerAppendMax }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncateSuffix" as const), fromEnd: fc.integer({ min: -2, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("compactPrefix" as const), ahead: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resetTo" as const), ahead: fc.integer({ min: -3, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reopen" as const) }) },
);

/** The model: the log is `records` numbered from `firstIndex`. */
interface Model {
  firstIndex: number;
  records: Uint8Array[];
}

function modelLastIndex(model: Model): number {
  return model.firstIndex + model.records.length - 1;
}

async function applyOperation(log: SegmentedLog, model: Model, operation: Operation, reopen: () => Promise<SegmentedLog>): Promise<SegmentedLog> {
  switch (operation.kind) {
    case "append":
      expect(await log.append(operation.payloads)).toBe(modelLastIndex(model) + operation.payloads.length);
      model.records.push(...operation.payloads.map((payload) => payload.slice()));
      return log;
    case "truncateSuffix": {
      const lastKept = Math.max(model.firstIndex - 1, modelLastIndex(model) - operation.fromEnd);
      await log.truncateSuffix(lastKept);
      model.records.length = Math.min(model.records.length, lastKept - model.firstIndex + 1);
      return log;
    }
    case "compactPrefix": {
      const firstNeeded = model.firstIndex + operation.ahead;
      await log.compactPrefix(firstNeeded);
      const newFirstIndex = log.firstIndex();
      expect(newFirstIndex).toBeGreaterThanOrEqual(model.firstIndex);
      expect(newFirstIndex).toBeLessThanOrEqual(Math.max(model.firstIndex, Math.min(firstNeeded, modelLastIndex(model) + 1)));
      model.records.splice(0, newFirstIndex - model.firstIndex);
      model.firstIndex = newFirstIndex;
      return log;
    }
    case "resetTo": {
      const nextIndex = Math.max(1, modelLastIndex(model) + 1 + operation.ahead);
      await log.resetTo(nextIndex);
      model.firstIndex = nextIndex;
      model.records = [];
      return log;
    }
    case "reopen":
      return reopen();
  }
}

function expectLogMatchesModel(log: SegmentedLog, model: Model): void {
  expect([log.firstIndex(), log.lastIndex()]).toEqual([model.firstIndex, modelLastIndex(model)]);
  const actual = [...log.readRange(model.firstIndex, modelLastIndex(model))].map((entry) => entry.payload);
  expect(actual).toEqual(model.records);
}

test("the log behaves as an array under random appends, truncations, compactions, resets and reopens", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 64, max: 600 }),
      fc.constantFrom<FsyncMode>("always", "unsafe-no-fsync"),
      fc.array(operationArbitrary, { maxLength: operationsPerRunMax }),
      async (segmentSizeBytes, fsync, operations) => {
        const dir = makeTemporaryDirectory("model");
        const options = { dir, segmentSizeBytes, fsync };
        let log = await SegmentedLog.open(options);
        try {
          const model: Model = { firstIndex: 1, records: [] };
          const reopen = async (): Promise<SegmentedLog> => {
            await log.close();
            log = await SegmentedLog.open(options);
            expect(log.recovery.corruptRecords).toEqual([]);
            expect(log.recovery.tornTail).toBeNull();
            return log;
          };
          for (const operation of operations) {
            log = await applyOperation(log, model, operation, reopen);
            expectLogMatchesModel(log, model);
          }
          log = await reopen();
          expectLogMatchesModel(log, model);
        } finally {
          await log.close();
          removeTemporaryDirectory(dir);
        }
      },
    ),
    { numRuns: runCount, seed },
  );
});
