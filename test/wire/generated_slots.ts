/**
 * Field slots and widths, from the generated FlatBuffers code and from the verifier's rules, so
 * tests can check that the rules (client port and peer port alike) match the schema.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FieldRule } from "../../src/wire/verify";

const generated = join(import.meta.dir, "..", "..", "schemas", "generated", "filestore", "wire");
const widthByAdder: Record<string, number> = { Int8: 1, Int16: 2, Int32: 4, Float64: 8, Offset: 4 };

function kebab(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

/** slot -> width in bytes, as the generated builder of `table` writes them. */
export function generatedSlots(table: string): Map<number, number> {
  const source = readFileSync(join(generated, `${kebab(table)}.ts`), "utf8");
  const slots = new Map<number, number>();
  for (const match of source.matchAll(/builder\.addField(Int8|Int16|Int32|Float64|Offset)\((\d+),/g)) {
    slots.set(Number(match[2]), widthByAdder[match[1]!]!);
  }
  return slots;
}

/** slot -> width in bytes, as the rules name them (offsets are 4 bytes, a union's type 1). */
export function ruleSlots(fields: FieldRule[]): Map<number, number> {
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
