/**
 * A Logger for tests that keeps every line as data (level, message, fields with those of its
 * parents), so a test asserts what library code logged without parsing text.
 */
import { logLevels, type LogFields, type Logger, type LogLevel } from "../../src/util/logger.ts";

export interface LoggedLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export class CollectingLogger implements Logger {
  constructor(
    readonly lines: LoggedLine[] = [],
    private readonly bound: LogFields = {},
    private readonly level: LogLevel = "debug",
  ) {}

  error(message: string, fields?: LogFields): void {
    this.add("error", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.add("warn", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.add("info", message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.add("debug", message, fields);
  }

  enabled(level: LogLevel): boolean {
    return logLevels.indexOf(level) <= logLevels.indexOf(this.level);
  }

  child(fields: LogFields): Logger {
    return new CollectingLogger(this.lines, { ...this.bound, ...fields }, this.level);
  }

  /** Messages logged so far, in order. */
  messages(): string[] {
    return this.lines.map((line) => line.message);
  }

  private add(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const all: Record<string, unknown> = { ...this.bound };
    for (const [key, value] of Object.entries(fields ?? {})) if (value !== undefined) all[key] = value;
    this.lines.push({ level, message, fields: all });
  }
}
