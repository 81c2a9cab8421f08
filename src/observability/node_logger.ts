/**
 * The logger of a running node, on pino: levels, child fields and serialisation are pino's, the
 * line shapes are ours. JSON (`--log-format json`) is pino's object with the level as a name and
 * an ISO-8601 UTC time: {"level":"info","time":"2026-12-07T15:04:05.123Z","node":"n1","term":5,
 * "msg":"became leader"}. logfmt (the default) is the same event rewritten by logfmt.ts.
 *
 * Lines go to stderr (stdout keeps the `filestore listening ...` and `filestore stopped ...`
 * lines that scripts read), written synchronously with sonic-boom, pino's own destination: events
 * are rare (none per request at info level), and a line written before it returns is never lost
 * when the process exits right after, nor reordered against the stdout lines. No transport and
 * so no worker thread is used: the same code runs in a `bun build --compile` binary.
 */
import pino from "pino";
import { logfmtLine } from "./logfmt.ts";
import type { LogFields, LogFormat, Logger, LogLevel } from "../util/logger.ts";

/** Where finished lines go (each ends with a newline). */
interface LogDestination {
  write(line: string): void;
}

interface NodeLoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** stderr (file descriptor 2) unless a test collects the lines. */
  destination?: LogDestination;
}

export function createNodeLogger(options: NodeLoggerOptions): Logger {
  const json = options.destination ?? stderrDestination();
  const logfmt = { write: (line: string) => json.write(logfmtLine(JSON.parse(line))) };
  const destination = options.format === "json" ? json : logfmt;
  const root = pino(
    {
      level: options.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return new PinoLogger(root);
}

/**
 * stderr through sonic-boom in synchronous mode. A write error (stderr closed by whoever reads
 * it) is ignored: losing log lines must not stop a node that is serving.
 */
function stderrDestination(): LogDestination {
  const stream = pino.destination({ dest: 2, sync: true });
  stream.on("error", () => {});
  return stream;
}

class PinoLogger implements Logger {
  constructor(private readonly pino: pino.Logger) {}

  error(message: string, fields?: LogFields): void {
    this.pino.error(fields ?? {}, message);
  }

  warn(message: string, fields?: LogFields): void {
    this.pino.warn(fields ?? {}, message);
  }

  info(message: string, fields?: LogFields): void {
    this.pino.info(fields ?? {}, message);
  }

  debug(message: string, fields?: LogFields): void {
    this.pino.debug(fields ?? {}, message);
  }

  enabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.pino.child(fields));
  }
}
