/** The usage error a command line gets from the CLI's parser, for the tests of its wording. */
import { expect } from "bun:test";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { UsageError } from "../../src/cli/usage_error.ts";

/** Parses `argv`, which must fail with a one-line UsageError; gives that error. */
export function usageErrorOf(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).not.toContain("\n");
    return error as UsageError;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}
