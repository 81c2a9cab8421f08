/**
 * Reading a node's `--log-format json` stderr in tests: every line must be one JSON object with a
 * level name, an ISO time and a message; a test waits for the line of an event, bounded.
 */

export interface JsonLogLine {
  level: "error" | "warn" | "info" | "debug";
  time: string;
  msg: string;
  [field: string]: unknown;
}

const levelNames = ["error", "warn", "info", "debug"];
const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Polls of a live line array before giving up: at 10 ms each, 30 s for a loaded 2-core machine. */
const logLinePollsMax = 3000;
const logLinePollMs = 10;

/** Parses each line as a log object; throws naming the first line that is not one. */
export function parseJsonLogLines(lines: readonly string[]): JsonLogLine[] {
  return lines.filter((line) => line !== "").map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
    const event = parsed as JsonLogLine;
    const isObject = typeof parsed === "object" && parsed !== null;
    const shaped = isObject && levelNames.includes(event.level) && isoTime.test(event.time);
    if (!shaped || typeof event.msg !== "string") throw new Error(`not a log object (level, time, msg): ${line}`);
    return event;
  });
}

/** Waits until a line of `lines` (filled as the process writes) parses to an event that `matches`. */
export async function waitForLogLine(
  lines: readonly string[],
  matches: (event: JsonLogLine) => boolean,
  what: string,
): Promise<JsonLogLine> {
  for (let poll = 0; poll < logLinePollsMax; poll++) {
    const found = parseJsonLogLines(lines).find(matches);
    if (found !== undefined) return found;
    await Bun.sleep(logLinePollMs);
  }
  throw new Error(`no log line for ${what} after ${logLinePollsMax} polls; lines:\n${lines.join("\n")}`);
}
