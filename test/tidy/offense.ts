/**
 * What a tidy check reports: one offense per place, with the file and line to open and what to
 * do about it. A check fails once, listing every offense, so one run shows all there is to fix.
 */
export interface Offense {
  path: string;
  line: number;
  message: string;
}

/** Throws one error listing every offense (sorted by place) under `title`; returns if there is none. */
export function failOnOffenses(title: string, offenses: Offense[]): void {
  if (offenses.length === 0) return;
  const sorted = [...offenses].sort((left, right) => left.path.localeCompare(right.path) || left.line - right.line);
  const lines = sorted.map((offense) => `  ${offense.path}:${offense.line}: ${offense.message}`);
  throw new Error(`tidy: ${title} (${offenses.length}):\n${lines.join("\n")}`);
}
