/**
 * The client-port server's log of what its limits refused: connections past connections-max,
 * frames over the frame limit or malformed (the connection is closed), requests past the
 * in-flight limits (OVERLOADED), and requests that failed inside the service (INTERNAL). Each is
 * written at most once a second with a count (repeated_event_log.ts), so a flood of refused
 * clients costs a counter increment per refusal and one line a second.
 */
import { errorText, type LogFields, type Logger, type LogLevel } from "../util/logger.ts";
import { RepeatedEventLog, type Schedule } from "../util/repeated_event_log.ts";
import type { ServerLimits } from "./limits.ts";

export class RefusalLog {
  private readonly connections: RepeatedEventLog;
  private readonly frames: RepeatedEventLog;
  private readonly malformed: RepeatedEventLog;
  private readonly inflight: RepeatedEventLog;
  private readonly failures: RepeatedEventLog;
  /** Made once: the in-flight refusal runs per refused request. */
  private readonly inflightFields: LogFields;

  constructor(logger: Logger, private readonly limits: ServerLimits, schedule?: Schedule) {
    this.inflightFields = {
      per_connection_limit: limits.inflightRequestsPerConnectionMax,
      per_server_limit: limits.inflightRequestsPerServerMax,
    };
    const log = (level: LogLevel, message: string) => new RepeatedEventLog(logger, level, message, schedule);
    this.connections = log("warn", "client connection refused: connections-max reached");
    this.frames = log("warn", "client frame too large: connection closed");
    this.malformed = log("warn", "client frame malformed: connection closed");
    this.inflight = log("warn", "client requests refused: too many in flight (OVERLOADED)");
    this.failures = log("error", "request failed inside the server (INTERNAL)");
  }

  connectionRefused(remote: string): void {
    this.connections.note({ limit: this.limits.connectionsMax, remote });
  }

  frameRefused(tooLarge: boolean, remote: string, reason: string): void {
    if (tooLarge) this.frames.note({ limit_bytes: this.limits.frameSizeBytesMax, remote, reason });
    else this.malformed.note({ remote, reason });
  }

  /** Called per refused request: no fields built, nothing but a count while a line is held back. */
  inflightRefused(): void {
    this.inflight.note(this.inflightFields);
  }

  failed(during: string, error: unknown): void {
    this.failures.note({ during, error: errorText(error) });
  }

  close(): void {
    for (const log of [this.connections, this.frames, this.malformed, this.inflight, this.failures]) log.close();
  }
}
