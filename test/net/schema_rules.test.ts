/**
 * The verifier's rules (src/net/schema_rules.ts) against the generated code: every field the
 * generated builder adds, with its slot and width, must be in the rules, and no rule may name
 * a field the schema lacks. A schema change not carried into the rules fails here.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bodyMembers, envelopeBodyRule, envelopeHeaderRule, responseRule } from "../../src/net/schema_rules";
import type { FieldRule, TableRule } from "../../src/net/verify";

const generated = join(import.meta.dir, "..", "..", "schemas", "generated", "filestore", "wire");
const widthByAdder: Record<string, number> = { Int8: 1, Int16: 2, Int32: 4, Float64: 8, Offset: 4 };

function kebab(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

/** slot -> width in bytes, as the generated builder writes them. */
function generatedSlots(table: string): Map<number, number> {
  const source = readFileSync(join(generated, `${kebab(table)}.ts`), "utf8");
  const slots = new Map<number, number>();
  for (const match of source.matchAll(/builder\.addField(Int8|Int16|Int32|Float64|Offset)\((\d+),/g)) {
    slots.set(Number(match[2]), widthByAdder[match[1]!]!);
  }
  return slots;
}

function ruleSlots(fields: FieldRule[]): Map<number, number> {
  const slots = new Map<number, number>();
  for (const field of fields) {
    if (field.kind === "union") {
      slots.set(field.typeSlot, 1);
      slots.set(field.valueSlot, 4);
    } else {
      slots.set(field.slot, field.kind === "scalar" ? field.sizeBytes : 4);
    }
  }
  return slots;
}

function collect(rule: TableRule, into: Map<string, TableRule>): void {
  if (into.has(rule.name)) return;
  into.set(rule.name, rule);
  for (const field of rule.fields) {
    if (field.kind === "table" || field.kind === "tables") collect(field.table, into);
    if (field.kind === "union") for (const member of field.members.values()) collect(member, into);
  }
}

describe("verifier rules", () => {
  const tables = new Map<string, TableRule>();
  for (const rule of [responseRule, envelopeBodyRule, ...bodyMembers.values()]) collect(rule, tables);
  tables.delete("Envelope");

  test("cover every table of the schema", () => {
    expect([...tables.keys()].sort()).toEqual([
      "BatchOperation", "BatchRequest", "BatchResult", "CasRequest", "DeleteRequest", "GetRequest", "GetResult",
      "KeyValue", "PingRequest", "PingResult", "PutRequest", "Response", "ScanRequest", "ScanResult",
      "TraceContext", "WriteResult",
    ]);
  });

  for (const [name, rule] of tables) {
    test(`${name} matches the generated slots and widths`, () => {
      expect(ruleSlots(rule.fields)).toEqual(generatedSlots(name));
    });
  }

  test("Envelope header and body rules together match the generated Envelope", () => {
    const combined = ruleSlots([...envelopeHeaderRule.fields, ...envelopeBodyRule.fields]);
    expect(combined).toEqual(generatedSlots("Envelope"));
  });
});
