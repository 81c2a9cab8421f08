/**
 * The files the tidy checks read: every TypeScript file under src/, test/ and bench/, each read
 * once and parsed at most once. Generated wire code sits under schemas/generated/ and is not
 * checked (it is reproduced by scripts/generate-schema.sh, not written by hand).
 *
 * Parsing uses @babel/parser with its TypeScript plugin: the project's TypeScript 7 compiler is
 * native and has no JavaScript API, and Bun's transpiler gives no syntax tree.
 */
import { parse } from "@babel/parser";
import type { File } from "@babel/types";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const repositoryRoot = join(import.meta.dir, "../..");
/** The folders whose files are ours: sources, their tests and the benchmarks. */
const checkedFolders = ["src", "test", "bench"];

export class SourceFile {
  private parsed: File | null = null;
  readonly lines: string[];

  /** `path` is relative to the repository root with forward slashes, e.g. `src/log/segment.ts`. */
  constructor(readonly path: string, readonly text: string) {
    this.lines = text.split("\n");
  }

  /** The syntax tree (with line numbers in every node's `loc`), parsed on first use. */
  get tree(): File {
    this.parsed ??= parse(this.text, {
      sourceType: "module",
      sourceFilename: this.path,
      plugins: ["typescript", "explicitResourceManagement"],
    });
    return this.parsed;
  }
}

/** Every checked file of the repository at `root`, sorted by path. */
export function loadSourceTree(root = repositoryRoot): SourceFile[] {
  const paths: string[] = [];
  for (const folder of checkedFolders) {
    for (const relative of new Glob("**/*.ts").scanSync({ cwd: join(root, folder) })) {
      paths.push(`${folder}/${relative.replaceAll("\\", "/")}`);
    }
  }
  return paths.sort().map((path) => new SourceFile(path, readFileSync(join(root, path), "utf8")));
}
