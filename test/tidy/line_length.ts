/**
 * The line-length ratchet. No line may be longer than `lineColumnsMax`; lines that were longer
 * when the rule came are counted per file in line_length_baseline.json, and a file may never
 * have more of them than its count there. The counts only go down: a count higher than the
 * file needs is reported too, so whoever shortens a line also lowers the baseline (run the
 * tidy test with FILESTORE_TIDY_LOWER_BASELINE=1 to rewrite it; that never raises a count).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Offense } from "./offense.ts";
import type { SourceFile } from "./source_tree.ts";

/** Longest line, in characters: a side-by-side diff of two such lines still fits a laptop screen. */
export const lineColumnsMax = 120;
const baselinePath = join(import.meta.dir, "line_length_baseline.json");

/** File path → how many of its lines may be longer than lineColumnsMax (only what existed before the rule). */
export type LineLengthBaseline = Record<string, number>;

export function readBaseline(): LineLengthBaseline {
  return JSON.parse(readFileSync(baselinePath, "utf8")) as LineLengthBaseline;
}

/** Writes `baseline` with each count lowered to what its file needs now; counts never go up. */
export function lowerBaseline(files: SourceFile[], baseline: LineLengthBaseline): void {
  const lowered: LineLengthBaseline = {};
  for (const file of files) {
    const count = Math.min(longLines(file).length, baseline[file.path] ?? 0);
    if (count > 0) lowered[file.path] = count;
  }
  writeFileSync(baselinePath, `${JSON.stringify(lowered, null, 2)}\n`);
}

/** 1-based numbers of the lines longer than lineColumnsMax, with their length in characters. */
export function longLines(file: SourceFile): Array<{ line: number; columns: number }> {
  const found: Array<{ line: number; columns: number }> = [];
  file.lines.forEach((text, index) => {
    // Characters, not UTF-16 units: a box-drawing character or a dash is one column.
    const columns = text.length > lineColumnsMax ? [...text].length : text.length;
    if (columns > lineColumnsMax) found.push({ line: index + 1, columns });
  });
  return found;
}

/** Files with more long lines than their baseline allows: every long line of such a file is listed. */
export function newLongLineOffenses(files: SourceFile[], baseline: LineLengthBaseline): Offense[] {
  const offenses: Offense[] = [];
  for (const file of files) {
    const long = longLines(file);
    const allowed = baseline[file.path] ?? 0;
    if (long.length <= allowed) continue;
    for (const { line, columns } of long) {
      offenses.push({
        path: file.path,
        line,
        message: `${columns} characters (max ${lineColumnsMax}); the file has ${lines(long.length)} this long and `
          + `its baseline allows ${allowed}: wrap the new ones`,
      });
    }
  }
  return offenses;
}

/** Baseline entries that allow more long lines than their file has (or name a file that is gone). */
export function looseBaselineOffenses(files: SourceFile[], baseline: LineLengthBaseline): Offense[] {
  const counts = new Map(files.map((file) => [file.path, longLines(file).length]));
  const offenses: Offense[] = [];
  for (const [path, allowed] of Object.entries(baseline)) {
    const count = counts.get(path) ?? 0;
    if (count >= allowed) continue;
    const fix = count === 0 ? "remove its entry from" : `lower its entry to ${count} in`;
    offenses.push({
      path,
      line: 1,
      message: `the baseline allows ${lines(allowed)} over ${lineColumnsMax} characters and the file has ${count}: `
        + `${fix} test/tidy/line_length_baseline.json (or run the tidy test with FILESTORE_TIDY_LOWER_BASELINE=1)`,
    });
  }
  return offenses;
}

function lines(count: number): string {
  return count === 1 ? "1 line" : `${count} lines`;
}
