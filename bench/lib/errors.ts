/** A benchmark could not run as asked (a peer did not start, a reply was wrong, a run stalled). */
export class BenchError extends Error {
  override name = "BenchError";
}
