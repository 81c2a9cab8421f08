/**
 * The client port's part of schemas/filestore.fbs transcribed for the verifier: each table's
 * fields by slot (the order of declaration; a union takes two slots, its type then its value),
 * with the fields the protocol requires; the Envelope around them is shared with the peer port
 * (wire/envelope_rules.ts). test/net/schema_rules.test.ts builds every table with the generated
 * code and checks these slots against it, so a schema change that is not carried here fails a test.
 */
import { Body, Result } from "../../schemas/generated/filestore_generated";
import { envelopeBodyField, envelopeContextFields } from "../wire/envelope_rules";
import type { TableRule } from "../wire/verify";

const emptyTable = (name: string): TableRule => ({ name, fields: [] });

const keyOnly = (name: string): TableRule => ({ name, fields: [{ kind: "bytes", slot: 0, required: true }] });

const putRequest: TableRule = {
  name: "PutRequest",
  fields: [
    { kind: "bytes", slot: 0, required: true },
    { kind: "bytes", slot: 1, required: true },
  ],
};

const casRequest: TableRule = {
  name: "CasRequest",
  fields: [
    { kind: "bytes", slot: 0, required: true },
    { kind: "bytes", slot: 1, required: false },
    { kind: "bytes", slot: 2, required: true },
  ],
};

const batchOperation: TableRule = {
  name: "BatchOperation",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 1 },
    { kind: "bytes", slot: 1, required: true },
    { kind: "bytes", slot: 2, required: false },
    { kind: "bytes", slot: 3, required: false },
  ],
};

const batchRequest: TableRule = {
  name: "BatchRequest",
  fields: [{ kind: "tables", slot: 0, required: true, table: batchOperation }],
};

const scanRequest: TableRule = {
  name: "ScanRequest",
  fields: [
    { kind: "bytes", slot: 0, required: false },
    { kind: "bytes", slot: 1, required: false },
    { kind: "bytes", slot: 2, required: false },
    { kind: "scalar", slot: 3, sizeBytes: 4 },
    { kind: "bytes", slot: 4, required: false },
  ],
};

export const getResult: TableRule = {
  name: "GetResult",
  fields: [
    { kind: "bytes", slot: 0, required: false },
    { kind: "scalar", slot: 1, sizeBytes: 8 },
  ],
};

export const writeResult: TableRule = {
  name: "WriteResult",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 1 },
    { kind: "scalar", slot: 1, sizeBytes: 8 },
  ],
};

const batchResult: TableRule = {
  name: "BatchResult",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 1 },
    { kind: "scalar", slot: 1, sizeBytes: 8 },
    { kind: "tables", slot: 2, required: false, table: writeResult },
  ],
};

const keyValue: TableRule = {
  name: "KeyValue",
  fields: [
    { kind: "bytes", slot: 0, required: true },
    { kind: "bytes", slot: 1, required: true },
    { kind: "scalar", slot: 2, sizeBytes: 8 },
  ],
};

const scanResult: TableRule = {
  name: "ScanResult",
  fields: [
    { kind: "tables", slot: 0, required: false, table: keyValue },
    { kind: "bytes", slot: 1, required: false },
  ],
};

const pingResult: TableRule = {
  name: "PingResult",
  fields: [{ kind: "bytes", slot: 0, required: false }],
};

const shardReplica: TableRule = {
  name: "ShardReplica",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 4 },
    { kind: "scalar", slot: 1, sizeBytes: 1 },
  ],
};

const shardDescriptor: TableRule = {
  name: "ShardDescriptor",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 4 },
    { kind: "scalar", slot: 1, sizeBytes: 8 },
    { kind: "scalar", slot: 2, sizeBytes: 4 },
    { kind: "scalar", slot: 3, sizeBytes: 4 },
    { kind: "scalar", slot: 4, sizeBytes: 4 },
    { kind: "scalar", slot: 5, sizeBytes: 4 },
    { kind: "tables", slot: 6, required: true, table: shardReplica },
    { kind: "scalar", slot: 7, sizeBytes: 4 },
  ],
};

const clusterNode: TableRule = {
  name: "ClusterNode",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 4 },
    { kind: "string", slot: 1 },
    { kind: "string", slot: 2, required: true },
  ],
};

const shardMapResult: TableRule = {
  name: "ShardMapResult",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 8 },
    { kind: "tables", slot: 1, required: false, table: shardDescriptor },
    { kind: "tables", slot: 2, required: false, table: clusterNode },
  ],
};

const wrongShardResult: TableRule = {
  name: "WrongShardResult",
  fields: [
    { kind: "tables", slot: 0, required: false, table: shardDescriptor },
    { kind: "tables", slot: 1, required: false, table: clusterNode },
  ],
};

export const responseRule: TableRule = {
  name: "Response",
  fields: [
    { kind: "scalar", slot: 0, sizeBytes: 1 },
    { kind: "string", slot: 1 },
    { kind: "string", slot: 2 },
    {
      kind: "union", typeSlot: 3, valueSlot: 4,
      members: new Map([
        [Result.GetResult, getResult],
        [Result.WriteResult, writeResult],
        [Result.BatchResult, batchResult],
        [Result.ScanResult, scanResult],
        [Result.PingResult, pingResult],
        [Result.ShardMapResult, shardMapResult],
        [Result.WrongShardResult, wrongShardResult],
      ]),
    },
  ],
};

export const bodyMembers: ReadonlyMap<number, TableRule> = new Map([
  [Body.PingRequest, emptyTable("PingRequest")],
  [Body.GetRequest, keyOnly("GetRequest")],
  [Body.PutRequest, putRequest],
  [Body.DeleteRequest, keyOnly("DeleteRequest")],
  [Body.CasRequest, casRequest],
  [Body.BatchRequest, batchRequest],
  [Body.ScanRequest, scanRequest],
  [Body.ShardMapRequest, emptyTable("ShardMapRequest")],
  [Body.Response, responseRule],
]);

/** The rest of the Envelope (its header: wire/envelope_rules.ts): trace, session id and a client-port body. */
export const envelopeBodyRule: TableRule = {
  name: "Envelope",
  fields: [...envelopeContextFields, envelopeBodyField(bodyMembers)],
};
