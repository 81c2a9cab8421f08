/**
 * Function length: a function (declaration, method, arrow function or function expression) is at
 * most `functionLinesMax` lines, counted from the line of its signature to the line of its
 * closing brace. Longer ones get split into well-named helpers: control flow in the parent,
 * pure steps below (STYLE.md §4, after TigerBeetle's tidy.zig).
 *
 * Functions that must wait to be split are listed in pending_splits.ts; an entry that no longer
 * names a long function is reported too, so the list only shrinks.
 */
import type { Node } from "@babel/types";
import type { Offense } from "./offense.ts";
import type { PendingSplit } from "./pending_splits.ts";
import type { SourceFile } from "./source_tree.ts";
import { walk } from "./syntax_walk.ts";

/** Longest function, in lines: about a screen, so a function is read whole (STYLE.md §4). */
export const functionLinesMax = 70;

export interface FunctionSpan {
  /** `name`, `Class.method`, or `<anonymous>` with the name of the function around it. */
  name: string;
  line: number;
  lines: number;
}

const functionTypes = new Set([
  "FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression",
  "ClassMethod", "ClassPrivateMethod", "ObjectMethod",
]);

/** Every function of `file` with its length; nested functions are listed on their own as well. */
export function functionSpans(file: SourceFile): FunctionSpan[] {
  const context: NameContext = { parents: new Map(), classNames: new Map() };
  const functions: Node[] = [];
  walk(file.tree.program, (node, parent) => {
    context.parents.set(node, parent);
    if (functionTypes.has(node.type)) functions.push(node);
    if (node.type === "ClassDeclaration" || node.type === "ClassExpression") {
      const variable = parent?.type === "VariableDeclarator" && parent.id.type === "Identifier" ? parent.id.name : null;
      context.classNames.set(node.body, node.id?.name ?? variable ?? "<class>");
    }
  });
  return functions.map((node) => ({
    name: functionName(node, context),
    line: node.loc!.start.line,
    lines: node.loc!.end.line - node.loc!.start.line + 1,
  }));
}

export function functionLengthOffenses(files: SourceFile[], pending: readonly PendingSplit[]): Offense[] {
  const offenses: Offense[] = [];
  const pendingFound = new Set<PendingSplit>();
  for (const file of files) {
    for (const span of functionSpans(file)) {
      if (span.lines <= functionLinesMax) continue;
      const allowed = pending.find((entry) => entry.path === file.path && entry.name === span.name);
      if (allowed !== undefined) {
        pendingFound.add(allowed);
        continue;
      }
      offenses.push({
        path: file.path,
        line: span.line,
        message: `${span.name} is ${span.lines} lines (max ${functionLinesMax}): split it into well-named helpers`,
      });
    }
  }
  for (const entry of pending) {
    if (pendingFound.has(entry)) continue;
    offenses.push({
      path: entry.path,
      line: 1,
      message: `${entry.name} is listed in test/tidy/pending_splits.ts but is no longer over ${functionLinesMax} `
        + "lines (or no longer exists): remove its entry",
    });
  }
  return offenses;
}

/** Babel keeps no links to parents: the walk records them, and each class body's class name. */
interface NameContext {
  parents: Map<Node, Node | null>;
  classNames: Map<Node, string>;
}

function functionName(node: Node, context: NameContext): string {
  const parent = context.parents.get(node) ?? null;
  const own = declaredName(node, parent, context);
  if (own !== null) return own;
  for (let outer = parent; outer !== null; outer = context.parents.get(outer) ?? null) {
    if (functionTypes.has(outer.type)) return `<anonymous in ${functionName(outer, context)}>`;
  }
  return "<anonymous>";
}

/** The name a function is known by from where it is defined, or null for an inline callback. */
function declaredName(node: Node, parent: Node | null, context: NameContext): string | null {
  if (node.type === "FunctionDeclaration") return node.id?.name ?? "default";
  if (node.type === "ClassMethod" || node.type === "ClassPrivateMethod") {
    return `${context.classNames.get(parent!) ?? "<class>"}.${keyName(node.key)}`;
  }
  if (node.type === "ObjectMethod") return keyName(node.key);
  if (node.type === "FunctionExpression" && node.id) return node.id.name;
  if (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier") return parent.id.name;
  if (parent?.type === "ObjectProperty") return keyName(parent.key);
  if (parent?.type === "ClassProperty" || parent?.type === "ClassPrivateProperty") {
    return `${context.classNames.get(context.parents.get(parent)!) ?? "<class>"}.${keyName(parent.key)}`;
  }
  if (parent?.type === "CallExpression") return labelledCallbackName(parent);
  return null;
}

/** A callback given with a title, as to `describe("title", () => ...)` or `test("title", ...)`: `test("title")`. */
function labelledCallbackName(call: Node & { type: "CallExpression" }): string | null {
  const title = call.arguments[0];
  let text: string | null = null;
  if (title?.type === "StringLiteral") text = title.value;
  else if (title?.type === "TemplateLiteral") text = title.quasis.map((quasi) => quasi.value.raw).join("${}");
  if (text === null) return null;
  return `${calleeName(call.callee)}(${JSON.stringify(text)})`;
}

/** `test`, `describe.each` (for `describe.each(table)(...)`), `it.skip`. */
function calleeName(callee: Node): string {
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && callee.property.type === "Identifier") {
    return `${calleeName(callee.object)}.${callee.property.name}`;
  }
  if (callee.type === "CallExpression") return calleeName(callee.callee);
  return "call";
}

function keyName(key: Node): string {
  if (key.type === "Identifier") return key.name;
  if (key.type === "PrivateName") return `#${key.id.name}`;
  if (key.type === "StringLiteral" || key.type === "NumericLiteral") return String(key.value);
  return "[computed]";
}
