/**
 * logfmt, the default log format: one line per event of `key=value` pairs, `time`, `level` and
 * `msg` first, then the event's fields in the order given:
 *
 *   time=2026-12-07T15:04:05.123Z level=info msg="became leader" node=n1 term=5
 *
 * A value is written bare when it is a number, a boolean, or a string of printable characters
 * without space, `=`, `"` or `\`; otherwise it is quoted with JSON's escapes (`\"`, `\\`, `\n`,
 * `\u001b`), so a line never breaks and any logfmt or JSON-string parser reads it back.
 */

const leadingKeys = ["time", "level", "msg"] as const;
/** Characters that force quotes: whitespace, `=`, `"`, `\`, control characters. */
const needsQuotes = /[\s="\\\u0000-\u001f\u007f]/;

/** One event, as the JSON object the logger produced, written as a logfmt line (with its newline). */
export function logfmtLine(event: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const key of leadingKeys) if (key in event) parts.push(`${key}=${logfmtValue(event[key])}`);
  for (const key of Object.keys(event)) {
    if ((leadingKeys as readonly string[]).includes(key)) continue;
    const value = event[key];
    if (value !== undefined) parts.push(`${key}=${logfmtValue(value)}`);
  }
  return `${parts.join(" ")}\n`;
}

function logfmtValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === "" || needsQuotes.test(text)) return JSON.stringify(text);
  return text;
}
