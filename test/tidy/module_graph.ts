/**
 * Who imports whom: every import, re-export, dynamic `import()` and `import("...")` type of a
 * file, with the repository path it resolves to and whether only types cross (types vanish at
 * run time, so a type-only import adds no run-time dependency).
 */
import type { Node } from "@babel/types";
import { dirname, join, normalize } from "node:path";
import type { SourceFile } from "./source_tree.ts";
import { walk } from "./syntax_walk.ts";

export interface ImportEdge {
  /** What the file wrote: `./segment.ts`, `node:fs`, `bun`. */
  specifier: string;
  /** Repository path of a relative import (`src/log/segment.ts`); null for packages and runtime modules. */
  target: string | null;
  line: number;
  typeOnly: boolean;
}

/** Repository path a relative `specifier` in `from` names; `known` holds the checked files' paths. */
export function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | null {
  if (!specifier.startsWith(".")) return null;
  const path = normalize(join(dirname(from), specifier)).replaceAll("\\", "/");
  if (/\.(ts|js|json)$/.test(path)) return path;
  if (known.has(`${path}/index.ts`)) return `${path}/index.ts`;
  return `${path}.ts`;
}

export function importEdges(file: SourceFile, known: ReadonlySet<string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (source: Node | null | undefined, line: number, typeOnly: boolean) => {
    if (source?.type !== "StringLiteral") return;
    edges.push({ specifier: source.value, target: resolveSpecifier(file.path, source.value, known), line, typeOnly });
  };
  walk(file.tree.program, (node) => {
    const line = node.loc!.start.line;
    if (node.type === "ImportDeclaration") {
      const typeSpecifiers = node.specifiers.every((item) =>
        item.type === "ImportSpecifier" && item.importKind === "type");
      add(node.source, line, node.importKind === "type" || (node.specifiers.length > 0 && typeSpecifiers));
    } else if (node.type === "ExportNamedDeclaration" && node.source) {
      const typeSpecifiers = node.specifiers.every((item) =>
        item.type === "ExportSpecifier" && item.exportKind === "type");
      add(node.source, line, node.exportKind === "type" || (node.specifiers.length > 0 && typeSpecifiers));
    } else if (node.type === "ExportAllDeclaration") {
      add(node.source, line, node.exportKind === "type");
    } else if (node.type === "CallExpression" && node.callee.type === "Import") {
      add(node.arguments[0], line, false);
    } else if (node.type === "TSImportType") {
      add(node.argument, line, true);
    }
  });
  return edges;
}
