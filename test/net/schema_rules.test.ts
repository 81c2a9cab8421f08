/**
 * The verifier's rules (src/net/schema_rules.ts) against the generated code: every field the
 * generated builder adds, with its slot and width, must be in the rules, and no rule may name
 * a field the schema lacks. A schema change not carried into the rules fails here.
 */
import { describe, expect, test } from "bun:test";
import { bodyMembers, envelopeBodyRule, responseRule } from "../../src/net/schema_rules";
import { envelopeHeaderRule } from "../../src/wire/envelope_rules";
import type { TableRule } from "../../src/wire/verify";
import { generatedSlots, ruleSlots } from "../wire/generated_slots";

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
      "BatchOperation", "BatchRequest", "BatchResult", "CasRequest", "ClusterNode", "DeleteRequest", "GetRequest",
      "GetResult", "KeyValue", "PingRequest", "PingResult", "PutRequest", "Response", "ScanRequest", "ScanResult",
      "ShardDescriptor", "ShardMapRequest", "ShardMapResult", "ShardReplica", "TraceContext", "WriteResult",
      "WrongShardResult",
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
