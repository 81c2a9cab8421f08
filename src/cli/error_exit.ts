/**
 * Maps an error thrown while running a command to its exit code (see exit_codes.ts). Wire
 * statuses arrive as the client's FileStoreError `code`; connection failures as other codes.
 */
import { AssertionError } from "../util/assert.ts";
import { ConfigError } from "../config/config_error.ts";
import { NodeRemovedError } from "../cluster/removal_marker.ts";
import { DataFolderError } from "../util/data_folder_lock.ts";
import { ClusterCommandError } from "./cluster_command_error.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { ServeError } from "./serve_error.ts";
import { UsageError } from "./usage_error.ts";

/** Statuses by which the server answered and refused the request: retrying it unchanged will not help. */
const refusedStatuses = new Set(["INVALID_REQUEST", "TOO_LARGE", "OVERLOADED", "UNAUTHORIZED", "CONFLICT", "INTERNAL"]);

export function exitCodeForError(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof NodeRemovedError) return ExitCode.removed;
  if (error instanceof ConfigError || error instanceof ServeError) return ExitCode.serveFailed;
  if (error instanceof DataFolderError) return ExitCode.serveFailed;
  if (error instanceof AssertionError) return ExitCode.internal;
  if (error instanceof ClusterCommandError) return error.unreachable ? ExitCode.unavailable : ExitCode.requestFailed;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "NOT_FOUND") return ExitCode.notFound;
  if (typeof code === "string" && refusedStatuses.has(code)) return ExitCode.requestFailed;
  // Timeouts, unavailability, refused or broken connections, unknown outcomes: the server was not
  // reached or did not answer.
  return ExitCode.unavailable;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
