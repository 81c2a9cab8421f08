/**
 * Structural verifier for FlatBuffers, because the JavaScript runtime has none: out-of-bounds
 * reads there return 0 or undefined silently, so a malformed frame would decode into defaults
 * (an empty key, a zero id) and could execute. Every table, vtable, field, vector, string and
 * union reached from the root is checked against the frame before any field is read. It mirrors
 * the runtime's own arithmetic, including where it reads signed values (vtable entries are
 * read as int16, offsets as int32), so what passes here reads the same way there.
 *
 * The rules come from src/net/schema_rules.ts, which transcribes schemas/filestore.fbs.
 */

export class VerificationError extends Error {
  override name = "VerificationError";
}

export type FieldRule =
  | { kind: "scalar"; slot: number; sizeBytes: 1 | 2 | 4 | 8 }
  | { kind: "bytes"; slot: number; required: boolean; lengthMax?: number }
  | { kind: "string"; slot: number }
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
export interface VerifyLimits {
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

function checkRange(bytes: Uint8Array, position: number, lengthBytes: number, what: string): void {
  if (!Number.isSafeInteger(position) || position < 0 || lengthBytes < 0 || position + lengthBytes > bytes.length) {
    fail(`${what} at ${position} (+${lengthBytes}) lies outside the ${bytes.length}-byte buffer`);
  }
}

/** Position of the root table; throws VerificationError when the whole buffer is not valid. */
export function verifyRoot(bytes: Uint8Array, root: TableRule, limits: VerifyLimits): number {
  checkRange(bytes, 0, offsetSizeBytes, "root offset");
  const tablePosition = readUint32(bytes, 0);
  verifyTable(bytes, tablePosition, root, limits);
  return tablePosition;
}

/** Offset of field `slot` within the table, or 0 when absent; the vtable was checked already. */
export function fieldOffset(bytes: Uint8Array, tablePosition: number, slot: number): number {
  const vtablePosition = tablePosition - readInt32(bytes, tablePosition);
  const entryPosition = vtableHeaderBytes + slot * 2;
  if (entryPosition >= readUint16(bytes, vtablePosition)) return 0;
  return readUint16(bytes, vtablePosition + entryPosition);
}

export function verifyTable(bytes: Uint8Array, tablePosition: number, rule: TableRule, limits: VerifyLimits): void {
  checkRange(bytes, tablePosition, offsetSizeBytes, `${rule.name} table`);
  const vtablePosition = tablePosition - readInt32(bytes, tablePosition);
  checkRange(bytes, vtablePosition, vtableHeaderBytes, `${rule.name} vtable`);
  const vtableSizeBytes = readUint16(bytes, vtablePosition);
  const tableSizeBytes = readUint16(bytes, vtablePosition + 2);
  if (vtableSizeBytes < vtableHeaderBytes || vtableSizeBytes % 2 !== 0 || vtableSizeBytes > vtableEntryValueMax) {
    fail(`${rule.name} vtable size ${vtableSizeBytes} is invalid`);
  }
  checkRange(bytes, vtablePosition, vtableSizeBytes, `${rule.name} vtable`);
  if (tableSizeBytes < offsetSizeBytes) fail(`${rule.name} table size ${tableSizeBytes} is invalid`);
  checkRange(bytes, tablePosition, tableSizeBytes, `${rule.name} table`);
  for (const field of rule.fields) verifyField(bytes, tablePosition, tableSizeBytes, rule, field, limits);
}

/** Position of a present field's inline bytes after checking they lie inside the table. */
function inlineField(
  bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, slot: number, sizeBytes: number, what: string,
): number {
  const offset = fieldOffset(bytes, tablePosition, slot);
  if (offset === 0) return 0;
  if (offset > vtableEntryValueMax || offset < offsetSizeBytes || offset + sizeBytes > tableSizeBytes) {
    fail(`${what} field offset ${offset} lies outside its ${tableSizeBytes}-byte table`);
  }
  return tablePosition + offset;
}

/** Target of the uoffset stored at `position`. */
function followOffset(bytes: Uint8Array, position: number, what: string): number {
  const target = position + readUint32(bytes, position);
  checkRange(bytes, target, offsetSizeBytes, what);
  return target;
}

function verifyVector(bytes: Uint8Array, vectorPosition: number, elementSizeBytes: number, what: string): number {
  const length = readUint32(bytes, vectorPosition);
  checkRange(bytes, vectorPosition + offsetSizeBytes, length * elementSizeBytes, `${what} elements`);
  return length;
}

function verifyField(
  bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, rule: TableRule, field: FieldRule, limits: VerifyLimits,
): void {
  if (field.kind === "union") return verifyUnion(bytes, tablePosition, tableSizeBytes, rule, field, limits);
  const what = `${rule.name}.${field.kind}@${field.slot}`;
  const sizeBytes = field.kind === "scalar" ? field.sizeBytes : offsetSizeBytes;
  const position = inlineField(bytes, tablePosition, tableSizeBytes, field.slot, sizeBytes, what);
  if (position === 0) {
    if (field.kind !== "scalar" && field.kind !== "string" && field.required) fail(`${what} is required`);
    return;
  }
  if (field.kind === "scalar") return;
  const target = followOffset(bytes, position, what);
  if (field.kind === "table") return verifyTable(bytes, target, field.table, limits);
  if (field.kind === "bytes") {
    const length = verifyVector(bytes, target, 1, what);
    if (field.lengthMax !== undefined && length > field.lengthMax) fail(`${what} is longer than ${field.lengthMax}`);
    return;
  }
  if (field.kind === "string") {
    const length = verifyVector(bytes, target, 1, what);
    checkRange(bytes, target + offsetSizeBytes + length, 1, `${what} terminator`);
    if (bytes[target + offsetSizeBytes + length] !== 0) fail(`${what} lacks its zero terminator`);
    return;
  }
  const count = verifyVector(bytes, target, offsetSizeBytes, what);
  if (count > limits.tablesPerVectorMax) fail(`${what} holds ${count} tables, over ${limits.tablesPerVectorMax}`);
  for (let index = 0; index < count; index++) {
    const elementPosition = target + offsetSizeBytes + index * offsetSizeBytes;
    verifyTable(bytes, followOffset(bytes, elementPosition, what), field.table, limits);
  }
}

function verifyUnion(
  bytes: Uint8Array, tablePosition: number, tableSizeBytes: number, rule: TableRule,
  field: Extract<FieldRule, { kind: "union" }>, limits: VerifyLimits,
): void {
  const what = `${rule.name}.union@${field.valueSlot}`;
  const typePosition = inlineField(bytes, tablePosition, tableSizeBytes, field.typeSlot, 1, `${what} type`);
  const valuePosition = inlineField(bytes, tablePosition, tableSizeBytes, field.valueSlot, offsetSizeBytes, what);
  const tag = typePosition === 0 ? 0 : bytes[typePosition]!;
  if (tag === 0) {
    if (valuePosition !== 0) fail(`${what} has a value but no type`);
    return;
  }
  const member = field.members.get(tag);
  // An unknown tag is left to the decoder, which answers it as an unsupported request.
  if (member === undefined) return;
  if (valuePosition === 0) fail(`${what} has type ${tag} but no value`);
  verifyTable(bytes, followOffset(bytes, valuePosition, what), member, limits);
}
