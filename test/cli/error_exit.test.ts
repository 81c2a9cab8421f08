/** How CLI failures map to documented exit codes and one-line messages. */
import { expect, test } from "bun:test";
import { exitCodeForError, messageOf } from "../../src/cli/error_exit.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { ServeError } from "../../src/cli/serve_error.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { AssertionError } from "../../src/util/assert.ts";

function coded(code: string, message = "m"): Error {
  return Object.assign(new Error(message), { code });
}

test("each kind of failure has its documented exit code", () => {
  expect(exitCodeForError(new UsageError("bad"))).toBe(ExitCode.usage);
  expect(exitCodeForError(new ConfigError("listen", "--listen", "bad"))).toBe(ExitCode.serveFailed);
  expect(exitCodeForError(new ServeError("address in use"))).toBe(ExitCode.serveFailed);
  expect(exitCodeForError(new AssertionError("broken"))).toBe(ExitCode.internal);
  expect(exitCodeForError(coded("NOT_FOUND"))).toBe(ExitCode.notFound);
  for (const status of ["INVALID_REQUEST", "TOO_LARGE", "OVERLOADED", "UNAUTHORIZED", "CONFLICT", "INTERNAL"]) {
    expect(exitCodeForError(coded(status))).toBe(ExitCode.requestFailed);
  }
  for (const status of ["TIMEOUT", "UNAVAILABLE", "NOT_LEADER", "ECONNREFUSED"]) {
    expect(exitCodeForError(coded(status))).toBe(ExitCode.unavailable);
  }
  expect(exitCodeForError(new Error("socket closed"))).toBe(ExitCode.unavailable);
});

test("messages carry the code once", () => {
  expect(messageOf(coded("TOO_LARGE", "value of 9 MiB over 8 MiB"))).toBe("TOO_LARGE: value of 9 MiB over 8 MiB");
  expect(messageOf(coded("TIMEOUT", "TIMEOUT: no answer"))).toBe("TIMEOUT: no answer");
  expect(messageOf("text")).toBe("text");
});
