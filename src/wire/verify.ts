/**
 * Structural verifier for FlatBuffers, because the JavaScript runtime has none: out-of-bounds
 * reads there return 0 or undefined silently, so a malformed frame would decode into defaults
 * (an empty key, a zero id) and could execute. Every table, vtable, field, vector, string and
 * union reached from the root is checked against the frame before any field is read. It mirrors
 * the runtime's own arithmetic, including where it reads signed values (vtable entries are
 * read as int16, offsets as int32), so what passes here reads the same way there.
 *
 * The rules transcribe schemas/filestore.fbs: the Envelope in envelope_rules.ts, the bodies of
 * each port in src/net/schema_rules.ts and src/cluster/transport/peer_schema_rules.ts.
 */

export class VerificationError extends Error {
  override name = "VerificationError";
  /** True for a vector longer than the caller's bound (too many batch operations), not a malformed frame. */
  constructor(message: string, readonly overLimit = false) {
    super(message);
  }
}

export type FieldRule =
  | { kind: "scalar"; slot: number; sizeBytes: 1 | 2 | 4 | 8 }
  | { kind: "bytes"; slot: number; required: boolean; lengthMax?: number }
  | { kind: "string"; slot: number; required?: boolean }
  | { kind: "table"; slot: number; required: boolean; table: TableRule }
  | { kind: "tables"; slot: number; required: boolean; table: TableRule }
  | { kind: "union"; typeSlot: number; valueSlot: number; members: ReadonlyMap<number, TableRule> };

export interface TableRule {
  name: string;
  fields: FieldRule[];
}

/** The runtime reads vtable sizes and field offsets as int16: larger values would read negative. */
const vtableEntryValueMax = 0x7fff;
/** Header of a vtable: its own size and the table's size, two uint16. */
const vtableHeaderBytes = 4;
const offsetSizeBytes = 4;

/** Limits the verifier applies while walking, before it iterates anything large. */
interface VerifyLimits {
  /** Longest vector of tables (e.g. a batch's operations). */
  tablesPerVectorMax: number;
}

function readUint16(bytes: Uint8Array, position: number): number {
  return bytes[position]! | (bytes[position + 1]! << 8);
}

function readUint32(bytes: Uint8Array, position: number): number {
  return (bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24)) >>> 0;
}

function readInt32(bytes: Uint8Array, position: number): number {
  return bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24);
}

function fail(message: string): never {
  throw new VerificationError(message);
}

/** Whether [position, position + lengthBytes) lies inside the buffer. Messages are built only on failure: this runs per field per request. */
function inside(bytes: Uint8Array, position: number, lengthBytes: number): boolean {
  return position >= 0 && lengthBytes >= 0 && position + lengthBytes <= bytes.length;
}

function outside(bytes: Uint8Array, what: string, position: number, lengthBytes: number): never {
  return fail(`${what} at ${position} (+${lengthBytes}) lies outside the ${bytes.length}-byte buffer`);
}

function fieldName(rule: TableRule, slot: number): string {
  return `${rule.name} field ${slot}`;
}

/** Position of the root table; throws VerificationError when the whole buffer is not valid. */
export function verifyRoot(bytes: Uint8Array, root: TableRule, limits: VerifyLimits): number {
  const tablePosition = rootTablePosition(bytes);
  verifyTable(bytes, tablePosition, root, limits);
  return tablePosition;
}

/** Where the root offset points (the table itself is not checked yet). */
export function rootTablePosition(bytes: Uint8Array): number {
  if (!inside(bytes, 0, offsetSizeBytes)) outside(bytes, "root offset", 0, offsetSizeBytes);
  return readUint32(bytes, 0);
}

/** Offset of field `slot` within the table, or 0 when absent; the vtable was checked already. */
export function fieldOffset(bytes: Uint8Array, tablePosition: number, slot: number): number {
  const vtablePosition = tablePosition - readInt32(bytes, tablePosition);
  const entryPosition = vtableHeaderBytes + slot * 2;
  if (entryPosition >= readUint16(bytes, vtablePosition)) return 0;
  return readUint16(bytes, vtablePosition + entryPosition);
}

export function verifyTable(bytes: Uint8Array, tablePosition: number, rule: TableRule, limits: VerifyLimits): void {
  const tableSizeBytes = verifyTableHeader(bytes, tablePosition, rule);
  const fields = rule.fields;
  for (let index = 0; index < fields.length; index++) {
    verifyField(bytes, tablePosition, tableSizeBytes, rule, fields[index]!, limits);
  }
}

/**
 * Checks a table's offset to its vtable, the vtable and the table's extent; returns the
 * table's size in bytes. Its fields are then checked one by one (verifyTable, or a reader
 * that verifies each field as it decodes it, as response_reader.ts does).
 */
export function verifyTableHeader(bytes: Uint8Array, tablePosition: number, rule: TableRule): number {
  if (!inside(bytes, tablePosition, offsetSizeBytes)) outside(bytes, `${rule.name} table`, tablePosition, offsetSizeBytes);
  const vtablePosition = tablePosition - readInt32(bytes, tablePosition);
  if (!inside(bytes, vtablePosition, vtableHeaderBytes)) outside(bytes, `${rule.name} vtable`, vtablePosition, vtableHeaderBytes);
  const vtableSizeBytes = readUint16(bytes, vtablePosition);
  const tableSizeBytes = readUint16(bytes, vtablePosition + 2);
  if (vtableSizeBytes < vtableHeaderBytes || vtableSizeBytes % 2 !== 0 || vtableSizeBytes > vtableEntryValueMax) {
    fail(`${rule.name} vtable size ${vtableSizeBytes} is invalid`);
  }
  if (!inside(bytes, vtablePosition, vtableSizeBytes)) outside(bytes, `${rule.name} vtable`, vtablePosition, vtableSizeBytes);
  if (tableSizeBytes < offsetSizeBytes) fail(`${rule.name} table size ${tableSizeBytes} is invalid`);
  if (!inside(bytes, tablePosition, tableSizeBytes)) outside(bytes, `${rule.name} table`, tablePosition, tableSizeBytes);
  return tableSizeBytes;
}

/** Position of a present field's inline bytes after checking they lie inside the table; 0 when absent. */
export function inlineField(bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, rule: TableRule, slot: number, sizeBytes: number): number {
  const offset = fieldOffset(bytes, tablePosition, slot);
  if (offset === 0) return 0;
  if (offset > vtableEntryValueMax || offset < offsetSizeBytes || offset + sizeBytes > tableSizeBytes) {
    fail(`${fieldName(rule, slot)} offset ${offset} lies outside its ${tableSizeBytes}-byte table`);
  }
  return tablePosition + offset;
}

/** Target of the uoffset stored at `position`, checked to have room for a length or vtable offset. */
export function followOffset(bytes: Uint8Array, position: number, rule: TableRule, slot: number): number {
  const target = position + readUint32(bytes, position);
  if (!inside(bytes, target, offsetSizeBytes)) outside(bytes, fieldName(rule, slot), target, offsetSizeBytes);
  return target;
}

/** Element count of the vector at `vectorPosition`, after checking its elements lie inside the buffer. */
export function verifyVector(bytes: Uint8Array, vectorPosition: number, elementSizeBytes: number, rule: TableRule, slot: number): number {
  const length = readUint32(bytes, vectorPosition);
  if (!inside(bytes, vectorPosition + offsetSizeBytes, length * elementSizeBytes)) {
    outside(bytes, `${fieldName(rule, slot)} elements`, vectorPosition + offsetSizeBytes, length * elementSizeBytes);
  }
  return length;
}

function verifyField(
  bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, rule: TableRule, field: FieldRule, limits: VerifyLimits,
): void {
  if (field.kind === "union") return verifyUnion(bytes, tablePosition, tableSizeBytes, rule, field, limits);
  const sizeBytes = field.kind === "scalar" ? field.sizeBytes : offsetSizeBytes;
  const position = inlineField(bytes, tablePosition, tableSizeBytes, rule, field.slot, sizeBytes);
  if (position === 0) {
    if (field.kind !== "scalar" && field.required === true) fail(`${fieldName(rule, field.slot)} is required`);
    return;
  }
  if (field.kind === "scalar") return;
  const target = followOffset(bytes, position, rule, field.slot);
  if (field.kind === "table") return verifyTable(bytes, target, field.table, limits);
  if (field.kind === "bytes") {
    const length = verifyVector(bytes, target, 1, rule, field.slot);
    if (field.lengthMax !== undefined && length > field.lengthMax) fail(`${fieldName(rule, field.slot)} is longer than ${field.lengthMax}`);
    return;
  }
  if (field.kind === "string") return verifyString(bytes, target, rule, field.slot);
  const count = verifyVector(bytes, target, offsetSizeBytes, rule, field.slot);
  if (count > limits.tablesPerVectorMax) {
    const message = `${fieldName(rule, field.slot)} holds ${count} tables, over ${limits.tablesPerVectorMax}`;
    throw new VerificationError(message, true);
  }
  for (let index = 0; index < count; index++) {
    const elementPosition = target + offsetSizeBytes + index * offsetSizeBytes;
    verifyTable(bytes, followOffset(bytes, elementPosition, rule, field.slot), field.table, limits);
  }
}

function verifyString(bytes: Uint8Array, target: number, rule: TableRule, slot: number): void {
  const length = verifyVector(bytes, target, 1, rule, slot);
  const terminator = target + offsetSizeBytes + length;
  if (!inside(bytes, terminator, 1) || bytes[terminator] !== 0) fail(`${fieldName(rule, slot)} lacks its zero terminator`);
}

function verifyUnion(
  bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, rule: TableRule,
  field: Extract<FieldRule, { kind: "union" }>, limits: VerifyLimits,
): void {
  const typePosition = inlineField(bytes, tablePosition, tableSizeBytes, rule, field.typeSlot, 1);
  const valuePosition = inlineField(bytes, tablePosition, tableSizeBytes, rule, field.valueSlot, offsetSizeBytes);
  const tag = typePosition === 0 ? 0 : bytes[typePosition]!;
  if (tag === 0) {
    if (valuePosition !== 0) fail(`${fieldName(rule, field.valueSlot)} has a value but no type`);
    return;
  }
  const member = field.members.get(tag);
  // An unknown tag is left to the decoder, which answers it as an unsupported request.
  if (member === undefined) return;
  if (valuePosition === 0) fail(`${fieldName(rule, field.valueSlot)} has type ${tag} but no value`);
  verifyTable(bytes, followOffset(bytes, valuePosition, rule, field.valueSlot), member, limits);
}
