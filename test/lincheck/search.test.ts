/** Each pass of the checker's search alone agrees with the brute force on small histories. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { bruteForceLinearizable, bruteForceOperationsMax } from "./brute_force.ts";
import { buildHistory, type HistoryShape, operationSpecArbitrary, valueName } from "./history_generator.ts";
import { kvModel } from "./kv_model.ts";
import { searchPartition } from "./search.ts";

/** Each pass alone: a depth-first budget of 0 skips to the layered pass, Infinity never leaves depth first. */
const passes = [
  { name: "depth-first pass", depthFirstStepsMax: Infinity },
  { name: "layered pass", depthFirstStepsMax: 0 },
];

/** One key, two values, many pending operations: many twins and subsumed points, the cases each pass handles its own way. */
const shape: HistoryShape = { clients: 3, keys: 1, values: 2, pendingPercent: 40 };

for (const { name, depthFirstStepsMax } of passes) {
  test(`${name} agrees with the brute force on tiny histories with a mutated reply`, () => {
    const mutation = fc.record({ choice: fc.nat(), valueIndex: fc.integer({ min: -1, max: shape.values }) });
    fc.assert(
      fc.property(fc.array(operationSpecArbitrary(shape), { minLength: 1, maxLength: bruteForceOperationsMax }), mutation, (specs, { choice, valueIndex }) => {
        const history = buildHistory(specs);
        const replied = history.filter((op) => op.output !== undefined && op.input.kind !== "put");
        if (replied.length > 0) {
          const op = replied[choice % replied.length];
          const value = valueIndex < 0 ? null : valueName(valueIndex);
          op.output = op.input.kind === "get" ? { kind: "get", value } : { kind: "cas", ok: valueIndex % 2 === 0 };
        }
        const budget = { stepsLeft: Infinity, deadlineMilliseconds: Infinity };
        const outcome = searchPartition(kvModel, history, budget, depthFirstStepsMax);
        expect(outcome.result).toBe(bruteForceLinearizable(history) ? "ok" : "illegal");
      }),
      { numRuns: 500 },
    );
  });
}
