/**
 * Purity of the planners: the Raft core (and any other pure planner folder listed in
 * PURE_FOLDERS) is a deterministic state machine, tested in a seeded simulation. So neither its
 * files nor anything they import at run time may reach the runtime (`bun`, `node:*`), read a
 * clock (`Date`, `performance`), schedule work (timers) or draw randomness (`Math.random`,
 * `crypto`): time comes in as ticks and randomness as an injected seeded source (STYLE.md §1-2).
 */
import type { Node } from "@babel/types";
import { builtinModules } from "node:module";
import { importEdges } from "./module_graph.ts";
import type { Offense } from "./offense.ts";
import type { SourceFile } from "./source_tree.ts";
import { walk } from "./syntax_walk.ts";

/**
 * Folders of pure planners: add each new one here (the placement planner will live in the second;
 * the third holds the coordinator's state machine, whose apply must give the same state on every
 * replica).
 */
export const PURE_FOLDERS: readonly string[] = ["src/cluster/raft/", "src/cluster/placement/", "src/cluster/meta/"];

/** Globals that read a clock, draw randomness, schedule work or reach the runtime or the network. */
const impureGlobals = new Set([
  "Date", "performance", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval",
  "clearImmediate", "queueMicrotask", "crypto", "Bun", "process", "require", "fetch",
]);
const runtimeModules = new Set(["bun", ...builtinModules]);

/** Fields where an identifier names a property, a key or an imported binding rather than reading a global. */
const nonReferenceFields: Record<string, string[]> = {
  MemberExpression: ["property"],
  OptionalMemberExpression: ["property"],
  ObjectProperty: ["key"],
  ObjectMethod: ["key"],
  ClassMethod: ["key"],
  ClassProperty: ["key"],
  TSPropertySignature: ["key"],
  TSMethodSignature: ["key"],
  TSEnumMember: ["id"],
  TSQualifiedName: ["right"],
  ImportSpecifier: ["imported"],
  ExportSpecifier: ["exported"],
};

export function pureModuleOffenses(files: SourceFile[], pureFolders: readonly string[] = PURE_FOLDERS): Offense[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const known = new Set(byPath.keys());
  // Breadth-first from the pure folders along run-time imports; each file is checked once.
  const reachedFrom = new Map<string, string | null>();
  const queue = files.filter((file) => pureFolders.some((folder) => file.path.startsWith(folder)));
  for (const file of queue) reachedFrom.set(file.path, null);
  const offenses: Offense[] = [];
  for (let index = 0; index < queue.length; index++) {
    const file = queue[index]!;
    const via = reachedFrom.get(file.path) ?? null;
    const where = via === null ? "" : ` (a pure module imports this file through ${via})`;
    for (const edge of importEdges(file, known)) {
      if (edge.typeOnly) continue;
      const module = edge.specifier.replace(/^node:/, "").split("/")[0]!;
      if (edge.target === null && (runtimeModules.has(module) || edge.specifier.startsWith("bun:"))) {
        offenses.push({ path: file.path, line: edge.line, message: `imports ${edge.specifier}${where}: ${advice}` });
      }
      const next = edge.target === null ? undefined : byPath.get(edge.target);
      if (next !== undefined && !reachedFrom.has(next.path)) {
        reachedFrom.set(next.path, file.path);
        queue.push(next);
      }
    }
    for (const use of impureUses(file)) {
      offenses.push({ path: file.path, line: use.line, message: `uses ${use.name}${where}: ${advice}` });
    }
  }
  return offenses;
}

const advice = "pure modules do no I/O and read no clock or randomness; take ticks and a seeded random source "
  + "as parameters, and leave the I/O to the driver";

/** Reads of impure globals in `file`, and calls of Math.random. */
function impureUses(file: SourceFile): Array<{ name: string; line: number }> {
  const uses: Array<{ name: string; line: number }> = [];
  walk(file.tree.program, (node, parent, field) => {
    if (node.type === "MemberExpression" && node.object.type === "Identifier" && node.object.name === "Math"
      && node.property.type === "Identifier" && node.property.name === "random") {
      uses.push({ name: "Math.random", line: node.loc!.start.line });
    }
    if (node.type !== "Identifier" || !impureGlobals.has(node.name)) return;
    if (parent !== null && isNonReference(parent, field)) return;
    uses.push({ name: node.name, line: node.loc!.start.line });
  });
  return uses;
}

function isNonReference(parent: Node, field: string): boolean {
  if (!(nonReferenceFields[parent.type] ?? []).includes(field)) return false;
  return !("computed" in parent && parent.computed === true);
}
