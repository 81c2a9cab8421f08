/**
 * Requests and replies as plain values, on both sides of the wire. Byte fields of a decoded
 * request are views into the frame they came from (no copy); whoever keeps them past the
 * frame's lifetime copies them (see copyCommand).
 */
import type { Command, Entry, ScanOptions } from "../engine/types";
import type { StatusName } from "../wire/status";

export type ConsistencyLevel = "strong" | "bounded" | "eventual";

export interface TraceContext {
  /** 16 bytes (W3C trace-id). */
  traceId: Uint8Array;
  /** 8 bytes (W3C parent-id). */
  spanId: Uint8Array;
}

export type RequestBody =
  | { kind: "ping" }
  | { kind: "get"; key: Uint8Array }
  | { kind: "write"; command: Command }
  | { kind: "scan"; options: ScanOptions }
  | { kind: "shardMap" };

/**
 * A point of the 64-bit hash space as two u32 halves, value = high * 2^32 + low; the end of a
 * range may be the end of the space, 2^64, which is { high: 2^32, low: 0 }. The shape of
 * src/cluster/placement/hash_range.ts's bounds, which the wire carries without knowing them.
 */
export interface HashPoint {
  readonly high: number;
  readonly low: number;
}

export type ReplicaRoleName = "voter" | "learner";

/**
 * A shard descriptor as the wire carries it (ShardDescriptor in the schema), in the shape of
 * src/cluster/placement/shard_map.ts's ShardDescriptor: the range as [start, end) (the wire's
 * inclusive `last` plus one), the leader absent when unknown. Decoded as received, not checked:
 * the receiver checks it as any placement data from outside (ShardMap.fromOutside).
 */
export interface ShardDescriptorValue {
  readonly id: number;
  readonly range: { readonly start: HashPoint; readonly end: HashPoint };
  readonly epoch: number;
  readonly replicas: ReadonlyArray<{ readonly node: number; readonly role: ReplicaRoleName }>;
  readonly leader?: number;
}

/** A node as a client needs it (ClusterNode in the schema). */
export interface ClusterNodeValue {
  readonly id: number;
  readonly name: string;
  /** "host:port" of its client port. */
  readonly clientAddress: string;
}

/** The answer to a ShardMapRequest from a sharded node. */
export interface ShardMapValue {
  /** Positive: the coordinator's version of the whole map. */
  readonly version: number;
  readonly shards: readonly ShardDescriptorValue[];
  readonly nodes: readonly ClusterNodeValue[];
}

export interface Request {
  /** Integer in 1..2^53, unique among the connection's requests in flight. */
  requestId: number;
  consistency: ConsistencyLevel;
  maxStalenessMs: number;
  /** Time budget from the server's receipt; 0 means none. */
  deadlineMs: number;
  /** With sequence > 0 on a write: the identity the server deduplicates by. */
  sessionId: Uint8Array | null;
  sequence: number;
  /**
   * With an identified write: the lowest sequence of the session's writes the client still
   * waits for (1..sequence); the server forgets outcomes below it. 0 when not given.
   */
  oldestPendingSequence: number;
  /** The shard the client routed the request to (a sharded cluster); 0: not routed. */
  shard: number;
  /** That shard's epoch in the client's map: 1..2^53 with a shard, 0 without. */
  shardEpoch: number;
  trace: TraceContext | null;
  body: RequestBody;
}

export interface WriteOutcome {
  /** put: always true; delete: the key existed; cas: it matched and was written. */
  applied: boolean;
  version: number;
}

export type ReplyResult =
  | { kind: "none" }
  | { kind: "get"; value: Uint8Array; version: number }
  | { kind: "write"; outcome: WriteOutcome }
  | { kind: "batch"; succeeded: boolean; version: number; results: WriteOutcome[] }
  | { kind: "scan"; entries: Entry[]; nextCursor: Uint8Array | null }
  | { kind: "ping"; serverInstanceId: Uint8Array }
  /** null: the node is not sharded (version 0 on the wire, or a server older than the request). */
  | { kind: "shardMap"; map: ShardMapValue | null }
  /** With WRONG_SHARD: the descriptors covering the key as the node knows them, and the nodes they name. */
  | { kind: "wrongShard"; shards: readonly ShardDescriptorValue[]; nodes: readonly ClusterNodeValue[] };

export interface Reply {
  status: StatusName;
  /** Why, for any status but OK; empty otherwise. */
  message: string;
  /** "host:port" of the leader, with NOT_LEADER; empty otherwise. */
  leaderHint: string;
  result: ReplyResult;
}

export const noResult: ReplyResult = { kind: "none" };

/** The reply to a get that found its key. */
export function foundGetReply(value: Uint8Array, version: number): Reply {
  return { status: "OK", message: "", leaderHint: "", result: { kind: "get", value, version } };
}

export function errorReply(status: StatusName, message: string, leaderHint = ""): Reply {
  return { status, message, leaderHint, result: noResult };
}

/** A copy of a command whose bytes no longer depend on the frame they were decoded from. */
export function copyCommand(command: Command): Command {
  switch (command.op) {
    case "put":
      return { op: "put", key: command.key.slice(), value: command.value.slice() };
    case "delete":
      return { op: "delete", key: command.key.slice() };
    case "cas":
      return { op: "cas", key: command.key.slice(), expected: command.expected?.slice() ?? null, value: command.value.slice() };
    case "batch":
      return { op: "batch", commands: command.commands.map((inner) => copyCommand(inner) as typeof inner) };
  }
}
