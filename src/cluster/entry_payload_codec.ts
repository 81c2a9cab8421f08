/**
 * What a normal Raft entry carries (its `data`), encoded with msgpack as a small array whose
 * first element says which kind it is:
 *   [1, sessionId | null, sequence, command, oldestPending]
 *                                              a client write; (sessionId, sequence) make it
 *                                              idempotent (deduplicated by session_table.ts),
 *                                              oldestPending lets the table forget older ones
 *                                              (entries written before it existed have 4 fields)
 *   [2, nodeId, clientAddress, adminAddress, peerAddress, name]
 *                                              where a member is reached: a leader announces
 *                                              itself (so every replica can hint NOT_LEADER to
 *                                              it), a node being added is announced before it
 *                                              joins (so every member can reach it); its name
 *                                              (node_id.ts) lets every replica print it
 *                                              (entries written before names have 5 fields)
 * A command is [op, ...fields]: ["p", key, value], ["d", key], ["c", key, expected | null, value],
 * ["b", [command, ...]]. An empty `data` is the no-op a new leader appends (Raft §6.4).
 * Entries are written only by this code and checksummed on disk and on the wire, so a malformed
 * one is a broken invariant (assert), not bad input.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { Command } from "../engine/types.ts";
import { assert, fail } from "../util/assert.ts";
import { formatNodeId } from "./node_id.ts";
import type { NodeId } from "./raft/types.ts";

export interface WriteIdentity {
  /** Client session id (opaque bytes). */
  sessionId: Uint8Array;
  /** Per-session sequence, > 0; a resend of a write reuses it. */
  sequence: number;
  /** The lowest sequence of the session the client still waited for (1..sequence); 0 when not given. */
  oldestPendingSequence: number;
}

export type EntryPayload =
  | { kind: "write"; identity: WriteIdentity | null; command: Command }
  /** `name` defaults, when encoding, to formatNodeId(node); it is absent from entries written before names. */
  | { kind: "member"; node: NodeId; addresses: MemberAddresses; name?: string };

/** "host:port" of a member's client port, admin endpoint and peer port ("" when not known). */
export interface MemberAddresses {
  clientAddress: string;
  adminAddress: string;
  peerAddress: string;
}

const writeTag = 1;
const memberTag = 2;

/** Reused: msgpack encodes with fewer allocations from a warm buffer. */
const encoder = new Encoder();
const decoder = new Decoder();

export function encodeEntryPayload(payload: EntryPayload): Uint8Array {
  const tuple =
    payload.kind === "write"
      ? [writeTag, payload.identity?.sessionId ?? null, payload.identity?.sequence ?? 0, commandTuple(payload.command), payload.identity?.oldestPendingSequence ?? 0]
      : memberTuple(payload);
  // The encoder returns a view of its reused buffer: the copy outlives the next encode.
  return encoder.encode(tuple).slice();
}

export function decodeEntryPayload(data: Uint8Array): EntryPayload {
  const tuple = decoder.decode(data);
  assert(Array.isArray(tuple), "entry payload: not an array");
  if (tuple[0] === memberTag) {
    const [, node, clientAddress, adminAddress, peerAddress, name] = tuple;
    assert((tuple.length === 5 || tuple.length === 6) && typeof node === "number", "member entry: bad node");
    assert(typeof clientAddress === "string" && typeof adminAddress === "string" && typeof peerAddress === "string", "member entry: bad addresses");
    const addresses = { clientAddress, adminAddress, peerAddress };
    if (tuple.length === 5) return { kind: "member", node, addresses };
    assert(typeof name === "string", "member entry: bad name");
    return { kind: "member", node, addresses, name };
  }
  if (!(tuple[0] === writeTag && (tuple.length === 4 || tuple.length === 5))) fail(`entry payload: unknown tag ${String(tuple[0])}`);
  const [, sessionId, sequence, command, oldestPendingSequence = 0] = tuple;
  assert(sessionId === null || sessionId instanceof Uint8Array, "write entry: bad session id");
  assert(typeof sequence === "number", "write entry: bad sequence");
  assert(typeof oldestPendingSequence === "number", "write entry: bad oldest pending sequence");
  const identity = sessionId === null ? null : { sessionId, sequence, oldestPendingSequence };
  return { kind: "write", identity, command: commandFromTuple(command) };
}

function memberTuple(member: Extract<EntryPayload, { kind: "member" }>): unknown[] {
  const { clientAddress, adminAddress, peerAddress } = member.addresses;
  return [memberTag, member.node, clientAddress, adminAddress, peerAddress, member.name ?? formatNodeId(member.node)];
}

function commandTuple(command: Command): unknown[] {
  switch (command.op) {
    case "put":
      return ["p", command.key, command.value];
    case "delete":
      return ["d", command.key];
    case "cas":
      return ["c", command.key, command.expected, command.value];
    case "batch":
      return ["b", command.commands.map(commandTuple)];
  }
}

function commandFromTuple(tuple: unknown): Command {
  assert(Array.isArray(tuple) && tuple.length >= 2, "command: not an array");
  const bytes = (value: unknown): Uint8Array => {
    assert(value instanceof Uint8Array, "command: a byte field is not bytes");
    return value;
  };
  switch (tuple[0]) {
    case "p":
      return { op: "put", key: bytes(tuple[1]), value: bytes(tuple[2]) };
    case "d":
      return { op: "delete", key: bytes(tuple[1]) };
    case "c":
      return { op: "cas", key: bytes(tuple[1]), expected: tuple[2] === null ? null : bytes(tuple[2]), value: bytes(tuple[3]) };
    case "b": {
      assert(Array.isArray(tuple[1]), "batch command: no command list");
      const commands = (tuple[1] as unknown[]).map(commandFromTuple);
      assert(commands.every((inner) => inner.op !== "batch"), "batch command: nested batch");
      return { op: "batch", commands: commands as Array<Exclude<Command, { op: "batch" }>> };
    }
    default:
      assert(false, `command: unknown op ${String(tuple[0])}`);
  }
}
