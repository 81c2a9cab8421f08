/**
 * The operational logger as library code sees it: one line per event, a level, a message and a
 * few flat fields. Library code (src/log, src/engine, src/net, src/cluster) takes a Logger as an
 * option and never imports the implementation (src/observability/node_logger.ts, on pino), so it
 * stays testable with a collecting logger and silent by default. The pure Raft core takes none:
 * the driver logs what the core did.
 *
 * Field names are lowercase words joined by `_` (`term`, `leader`, `file`, `offset`,
 * `duration_ms`), values flat: strings, numbers, booleans. Node ids are written as their names
 * (`leader=n2`). Nothing is logged per request at info level or above.
 */

export const logLevels = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof logLevels)[number];

/** logfmt (`key=value` pairs, the default) or JSON (one object per line). */
export const logFormats = ["logfmt", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

type LogValue = string | number | boolean | null | undefined;
/** Flat fields of one line; undefined values are left out. */
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** Whether lines of `level` are written: guards work done only to build a line. */
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line (e.g. `node=n1`). */
  child(fields: LogFields): Logger;
}

const ignore = (): void => {};

/** Writes nothing: the default of every library that takes a logger. */
export const silentLogger: Logger = {
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  enabled: () => false,
  child: () => silentLogger,
};

/** One line of text for an error, for an `error=` field. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
