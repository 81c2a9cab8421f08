/**
 * A state-machine snapshot as one byte string, the `data` of a Raft snapshot (what the leader
 * streams to a lagging follower, §5): msgpack of
 *   [formatVersion, appliedIndex, engineChunks: bytes[], sessionTable: bytes, members: MemberTuple[]]
 * where a MemberTuple is [id, client, admin, peer, name] (snapshots taken before member names
 * have no name in their member tuples).
 * The engine chunks are the engine's own checksummed snapshot stream (src/engine/snapshot.ts);
 * the whole is checksummed again by the Raft storage and the peer transport.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { assert } from "../util/assert.ts";
import type { MemberAddresses } from "./entry_payload_codec.ts";
import { formatNodeId, rememberMemberName } from "./node_id.ts";
import type { NodeId } from "./raft/types.ts";
import { SessionTable } from "./session_table.ts";
import type { KeyValueMachine } from "./key_value_machine.ts";

const formatVersion = 1;

interface StateMachineSnapshotParts {
  appliedIndex: number;
  engineChunks: Uint8Array[];
  sessions: Uint8Array;
  members: MemberTuple[];
}

export function encodeStateMachineSnapshot(parts: StateMachineSnapshotParts): Uint8Array {
  return new Encoder().encode([formatVersion, parts.appliedIndex, parts.engineChunks, parts.sessions, parts.members]);
}

/** Replaces the state machine's whole state with a snapshot received from the leader (or found in storage at start). */
export async function installStateMachineSnapshot(machine: KeyValueMachine, data: Uint8Array): Promise<void> {
  const decoded = new Decoder().decode(data);
  assert(Array.isArray(decoded) && decoded.length === 5 && decoded[0] === formatVersion, "state-machine snapshot: unknown format");
  const [, index, chunks, sessions, members] = decoded as [number, number, Uint8Array[], Uint8Array, MemberTuple[]];
  await machine.settle();
  await machine.engine.installSnapshot(chunks);
  machine.sessions = SessionTable.decode(sessions);
  machine.members.clear();
  restoreMembers(machine.members, members);
  machine.appliedIndex = index;
}

/** One member in a snapshot: id, client, admin and peer address, and (since names exist) its name. */
export type MemberTuple = [NodeId, string, string, string, string?];

/** A member table as a snapshot holds it. */
export function memberTuples(members: ReadonlyMap<NodeId, MemberAddresses>): MemberTuple[] {
  return [...members].map(([id, a]) => [id, a.clientAddress, a.adminAddress, a.peerAddress, formatNodeId(id)]);
}

/** Fills a member table (and the names node_id.ts prints) from a snapshot's member tuples. */
export function restoreMembers(into: Map<NodeId, MemberAddresses>, members: MemberTuple[]): void {
  for (const [node, clientAddress, adminAddress, peerAddress, name] of members) {
    assert(typeof node === "number", "state-machine snapshot: bad member id");
    assert(name === undefined || typeof name === "string", "state-machine snapshot: bad member name");
    into.set(node, { clientAddress, adminAddress, peerAddress });
    if (name !== undefined) rememberMemberName(name, node);
  }
}
