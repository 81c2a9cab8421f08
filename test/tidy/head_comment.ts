/**
 * Head comments: every file says at its top what it is for, so a reader (and a reviewer) knows
 * what belongs in it before reading the code. The file starts, after an optional `#!` line, with
 * a `/** ... *\/` block or a run of `//` lines.
 */
import type { Offense } from "./offense.ts";
import type { SourceFile } from "./source_tree.ts";

export function headCommentOffenses(files: SourceFile[]): Offense[] {
  const offenses: Offense[] = [];
  for (const file of files) {
    const first = file.lines[0]?.startsWith("#!") ? 1 : 0;
    const head = file.lines[first] ?? "";
    if (head.startsWith("/**") || head.startsWith("//")) continue;
    offenses.push({
      path: file.path,
      line: first + 1,
      message: "no head comment: start the file with a /** ... */ block saying what the file is for",
    });
  }
  return offenses;
}
