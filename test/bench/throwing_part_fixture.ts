/** A bench part that fails, for the dispatcher's test. */
import { BenchError } from "../../bench/lib/errors.ts";

export function runThrowingBench(): never {
  throw new BenchError("peer did not start");
}
