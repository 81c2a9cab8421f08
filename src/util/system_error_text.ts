/**
 * Words for the operating system's errors (Node-style errors with a `code` such as EADDRINUSE),
 * so a start-up failure reads "address already in use" rather than Bun's "Failed to listen at
 * 127.0.0.1" or a raw "EACCES: permission denied, open '...'".
 */

const wordsByCode: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "is a folder, not a file",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EMFILE: "too many open files",
  ENFILE: "too many open files on this machine",
  EIO: "input/output error",
  ENAMETOOLONG: "path too long",
  ECONNREFUSED: "connection refused (nothing listens there)",
  ECONNRESET: "connection reset by the other side",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

/** The OS error code of `error` (EACCES, EADDRINUSE, ...), or null when it carries none. */
export function systemErrorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : null;
}

/**
 * One line for an OS error: its words when the code is known, else the error's own message.
 * The path is added when the error names one other than `subject` (the path the caller's
 * message already names), so "permission denied: /var/lib/filestore/log/x.log" still says where.
 */
export function systemErrorText(error: unknown, subject?: string): string {
  const code = systemErrorCode(error);
  const words = code === null ? undefined : wordsByCode[code];
  if (words === undefined) return error instanceof Error ? error.message : String(error);
  const path = (error as { path?: unknown }).path;
  return typeof path === "string" && path !== subject ? `${words}: ${path}` : words;
}
