/**
 * The Envelope of schemas/filestore.fbs transcribed for the verifier (verify.ts). Every frame on
 * either port is one Envelope; only the members of its body union differ: client requests and
 * responses on the client port (net/schema_rules.ts), peer messages on the peer port
 * (cluster/transport/peer_schema_rules.ts). Fields by slot, in the order of declaration; a union
 * takes two slots, its type then its value. Each port's schema-rule test checks these slots
 * against the generated code.
 */
import type { FieldRule, TableRule } from "./verify.ts";

const traceContext: TableRule = {
  name: "TraceContext",
  fields: [
    { kind: "bytes", slot: 0, required: true },
    { kind: "bytes", slot: 1, required: true },
  ],
};

/** Envelope fields up to (not including) its body; enough to read the request id. */
export const envelopeHeaderRule: TableRule = {
  name: "Envelope",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 8 },
    { kind: "scalar", slot: 2, sizeBytes: 1 },
    { kind: "scalar", slot: 3, sizeBytes: 4 },
    { kind: "scalar", slot: 4, sizeBytes: 4 },
    { kind: "scalar", slot: 6, sizeBytes: 8 },
    { kind: "scalar", slot: 9, sizeBytes: 8 },
    { kind: "scalar", slot: 10, sizeBytes: 4 },
    { kind: "scalar", slot: 11, sizeBytes: 8 },
  ],
};

/** The Envelope's trace context and session id, beside its body. */
export const envelopeContextFields: readonly FieldRule[] = [
  { kind: "table", slot: 1, required: false, table: traceContext },
  { kind: "bytes", slot: 5, required: false },
];

/** The Envelope's body union with the members a port accepts. */
export function envelopeBodyField(members: ReadonlyMap<number, TableRule>): FieldRule {
  return { kind: "union", typeSlot: 7, valueSlot: 8, members };
}
