/** `filestore serve` could not start or failed while serving (exit code 5). */
export class ServeError extends Error {
  override name = "ServeError";
}
