/**
 * Unused exports: every export of a file under src/ is imported by something in src/, test/ or
 * bench/. An export nothing imports widens a module's surface for no one; drop the `export`
 * keyword (or the declaration, if nothing uses it at all).
 *
 * An import marks the name it takes; `import * as ns` marks the names read as `ns.name` (all of
 * them if `ns` is used whole); a dynamic `import()` marks the names it destructures (or all). A
 * re-export (`export { x } from`, `export * from`) counts only when its own name is used, and
 * then marks the name in the module it comes from. The public client entry's exports are the
 * package API: all of them count as used.
 */
import type { Node } from "@babel/types";
import { resolveSpecifier } from "./module_graph.ts";
import type { Offense } from "./offense.ts";
import type { SourceFile } from "./source_tree.ts";
import { walk } from "./syntax_walk.ts";

/** Modules whose exports are an API for code outside this repository (package.json "exports"). */
export const API_ENTRY_POINTS: readonly string[] = ["src/client/index.ts"];

interface ReExport {
  target: string;
  /** The name in the target module; `*` for `export * as name from`. */
  name: string;
  line: number;
}

interface ExportTable {
  /** Names declared or listed here (`export function f`, `export { f }`), with their lines. */
  local: Map<string, number>;
  reExports: Map<string, ReExport>;
  stars: Array<{ target: string; line: number }>;
}

export function unusedExportOffenses(files: SourceFile[], apiEntryPoints = API_ENTRY_POINTS): Offense[] {
  const known = new Set(files.map((file) => file.path));
  const tables = new Map<string, ExportTable>();
  for (const file of files) if (file.path.startsWith("src/")) tables.set(file.path, exportTable(file, known));
  const usage = new Usage(tables);
  for (const entry of apiEntryPoints) usage.markAll(entry);
  for (const file of files) markImports(file, known, usage);
  return usage.offenses();
}

/** Which exported names are used, following re-exports to where names are declared. */
class Usage {
  private readonly used = new Set<string>();
  private readonly usedStars = new Set<string>();

  constructor(private readonly tables: Map<string, ExportTable>) {}

  mark(module: string, name: string, seen = new Set<string>()): boolean {
    const table = this.tables.get(module);
    const key = `${module}#${name}`;
    if (table === undefined || seen.has(key)) return false;
    seen.add(key);
    if (table.local.has(name)) {
      this.used.add(key);
      return true;
    }
    const reExport = table.reExports.get(name);
    if (reExport !== undefined) {
      this.used.add(key);
      if (reExport.name === "*") this.markAll(reExport.target, seen);
      else this.mark(reExport.target, reExport.name, seen);
      return true;
    }
    let found = false;
    for (const star of table.stars) {
      if (!this.mark(star.target, name, seen)) continue;
      this.usedStars.add(`${module}#${star.line}`);
      found = true;
    }
    return found;
  }

  markAll(module: string, seen = new Set<string>()): void {
    const table = this.tables.get(module);
    if (table === undefined) return;
    for (const name of [...table.local.keys(), ...table.reExports.keys()]) this.mark(module, name, seen);
    for (const star of table.stars) {
      this.usedStars.add(`${module}#${star.line}`);
      this.markAll(star.target, seen);
    }
  }

  offenses(): Offense[] {
    const offenses: Offense[] = [];
    const advice = "is imported by nothing in src/, test/ or bench/";
    for (const [path, table] of this.tables) {
      for (const [name, line] of table.local) {
        if (this.used.has(`${path}#${name}`)) continue;
        const message = `export ${name} ${advice}: drop the export keyword (or the declaration)`;
        offenses.push({ path, line, message });
      }
      for (const [name, reExport] of table.reExports) {
        if (this.used.has(`${path}#${name}`)) continue;
        offenses.push({ path, line: reExport.line, message: `re-export ${name} ${advice}: remove it` });
      }
      for (const star of table.stars) {
        if (this.usedStars.has(`${path}#${star.line}`)) continue;
        const message = `export * from ${star.target}: none of its names is imported through here; remove it`;
        offenses.push({ path, line: star.line, message });
      }
    }
    return offenses;
  }
}

function exportTable(file: SourceFile, known: ReadonlySet<string>): ExportTable {
  const table: ExportTable = { local: new Map(), reExports: new Map(), stars: [] };
  for (const statement of file.tree.program.body) {
    const line = statement.loc!.start.line;
    if (statement.type === "ExportAllDeclaration") {
      table.stars.push({ target: resolveSpecifier(file.path, statement.source.value, known)!, line });
    } else if (statement.type === "ExportDefaultDeclaration") {
      table.local.set("default", line);
    } else if (statement.type === "ExportNamedDeclaration") {
      const target = statement.source ? resolveSpecifier(file.path, statement.source.value, known) : null;
      for (const specifier of statement.specifiers) {
        const exported = nameOf(specifier.exported);
        const name = specifier.type === "ExportSpecifier" ? nameOf(specifier.local) : "*";
        if (target === null) table.local.set(exported, line);
        else table.reExports.set(exported, { target, name, line });
      }
      if (statement.declaration) for (const name of declaredNames(statement.declaration)) table.local.set(name, line);
    }
  }
  return table;
}

/** Marks what `file` takes from the modules it imports or re-exports (re-exports from src/ count only when used). */
function markImports(file: SourceFile, known: ReadonlySet<string>, usage: Usage): void {
  const targetOf = (source: Node | null | undefined) =>
    source?.type === "StringLiteral" ? resolveSpecifier(file.path, source.value, known) : null;
  walk(file.tree.program, (node) => {
    if (node.type === "ImportDeclaration") {
      const target = targetOf(node.source);
      if (target !== null) markImportDeclaration(file, node, target, usage);
    } else if (node.type === "ExportNamedDeclaration" || node.type === "ExportAllDeclaration") {
      const target = file.path.startsWith("src/") ? null : targetOf(node.source);
      if (target === null) return;
      if (node.type === "ExportAllDeclaration") usage.markAll(target);
      for (const item of node.type === "ExportNamedDeclaration" ? node.specifiers : []) {
        if (item.type === "ExportSpecifier") usage.mark(target, nameOf(item.local));
      }
    } else if (node.type === "CallExpression" && node.callee.type === "Import") {
      const target = targetOf(node.arguments[0]);
      if (target !== null) markDynamicImport(file, node, target, usage);
    } else if (node.type === "TSImportType") {
      const target = targetOf(node.argument);
      if (target === null) return;
      if (node.qualifier) usage.mark(target, firstName(node.qualifier));
      else usage.markAll(target);
    }
  });
}

type ImportDeclaration = Node & { type: "ImportDeclaration" };

function markImportDeclaration(file: SourceFile, node: ImportDeclaration, target: string, usage: Usage): void {
  for (const specifier of node.specifiers) {
    if (specifier.type === "ImportSpecifier") usage.mark(target, nameOf(specifier.imported));
    else if (specifier.type === "ImportDefaultSpecifier") usage.mark(target, "default");
    else markNamespace(file, specifier.local.name, target, usage);
  }
}

/** `import * as ns`: marks each `ns.name` read (value or type); all names if `ns` is used another way. */
function markNamespace(file: SourceFile, namespace: string, target: string, usage: Usage): void {
  let usedWhole = false;
  walk(file.tree.program, (node, parent, field) => {
    if (node.type !== "Identifier" || node.name !== namespace) return;
    if (parent?.type === "ImportNamespaceSpecifier") return;
    const member = parent?.type === "MemberExpression" && field === "object" && !parent.computed;
    if (member && parent.property.type === "Identifier") {
      usage.mark(target, parent.property.name);
    } else if (parent?.type === "TSQualifiedName" && field === "left") {
      usage.mark(target, parent.right.name);
    } else if (!(parent?.type === "MemberExpression" && field === "property")) {
      usedWhole = true;
    }
  });
  if (usedWhole) usage.markAll(target);
}

/** `const { a, b } = await import("./x")` marks a and b; any other use of import() marks every export. */
function markDynamicImport(file: SourceFile, call: Node, target: string, usage: Usage): void {
  let pattern: Node | null = null;
  walk(file.tree.program, (node) => {
    if (node.type !== "VariableDeclarator" || node.id.type !== "ObjectPattern") return;
    const init = node.init?.type === "AwaitExpression" ? node.init.argument : node.init;
    if (init === call) pattern = node.id;
  });
  const properties = pattern === null ? null : (pattern as Node & { type: "ObjectPattern" }).properties;
  if (properties === null || properties.some((property) => property.type !== "ObjectProperty")) {
    usage.markAll(target);
    return;
  }
  for (const property of properties) if (property.type === "ObjectProperty") usage.mark(target, nameOf(property.key));
}

function declaredNames(declaration: Node): string[] {
  if (declaration.type === "VariableDeclaration") {
    return declaration.declarations.flatMap((item) => bindingNames(item.id));
  }
  if ("id" in declaration && declaration.id && declaration.id.type === "Identifier") return [declaration.id.name];
  return [];
}

function bindingNames(pattern: Node): string[] {
  if (pattern.type === "Identifier") return [pattern.name];
  if (pattern.type === "ObjectPattern") {
    return pattern.properties.flatMap((property) =>
      bindingNames(property.type === "RestElement" ? property.argument : property.value));
  }
  if (pattern.type === "ArrayPattern") {
    return pattern.elements.flatMap((element) => (element === null ? [] : bindingNames(element)));
  }
  if (pattern.type === "AssignmentPattern") return bindingNames(pattern.left);
  if (pattern.type === "RestElement") return bindingNames(pattern.argument);
  return [];
}

function nameOf(node: Node): string {
  if (node.type === "Identifier") return node.name;
  if (node.type === "StringLiteral") return node.value;
  return "[computed]";
}

function firstName(node: Node): string {
  return node.type === "TSQualifiedName" ? firstName(node.left) : nameOf(node);
}
