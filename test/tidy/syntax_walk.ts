/**
 * A depth-first walk over a Babel syntax tree that hands each node its parent and the field
 * holding it (what a check needs to tell `a.Date` from `Date`, or a method's name from a call).
 */
import type { Node } from "@babel/types";

/** Fields that hold positions, comments or parser notes rather than child nodes. */
const skippedFields = new Set([
  "loc", "start", "end", "extra", "range", "leadingComments", "trailingComments", "innerComments", "comments", "tokens",
  "errors",
]);

export type Visitor = (node: Node, parent: Node | null, field: string) => void;

export function walk(node: Node, visit: Visitor, parent: Node | null = null, field = ""): void {
  visit(node, parent, field);
  const fields = node as unknown as Record<string, unknown>;
  for (const key in fields) {
    if (skippedFields.has(key)) continue;
    const value = fields[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) walk(item, visit, node, key);
    } else if (isNode(value)) {
      walk(value, visit, node, key);
    }
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
