/** A command line that cannot be run; the CLI prints it in one line and exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    /** The command whose help would explain the mistake, when known. */
    readonly command: string | null = null,
  ) {
    super(message);
  }
}
