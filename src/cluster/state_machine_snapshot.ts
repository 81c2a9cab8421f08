/**
 * A state-machine snapshot as one byte string, the `data` of a Raft snapshot (what the leader
 * streams to a lagging follower, §5): msgpack of
 *   [formatVersion, appliedIndex, engineChunks: bytes[], sessionTable: bytes, members: [id, client, admin, peer][]]
 * The engine chunks are the engine's own checksummed snapshot stream (src/engine/snapshot.ts);
 * the whole is checksummed again by the Raft storage and the peer transport.
 */
import { Decoder } from "@msgpack/msgpack";
import { assert } from "../util/assert.ts";
import { SessionTable } from "./session_table.ts";
import type { ReplicatedStateMachine } from "./state_machine.ts";

/** Written by snapshot_scheduler.ts. */
const formatVersion = 1;

/** Replaces the state machine's whole state with a snapshot received from the leader (or found in storage at start). */
export async function installStateMachineSnapshot(machine: ReplicatedStateMachine, data: Uint8Array): Promise<void> {
  const decoded = new Decoder().decode(data);
  assert(Array.isArray(decoded) && decoded.length === 5 && decoded[0] === formatVersion, "state-machine snapshot: unknown format");
  const [, index, chunks, sessions, members] = decoded as [number, number, Uint8Array[], Uint8Array, Array<[number, string, string, string]>];
  await machine.settle();
  await machine.engine.installSnapshot(chunks);
  machine.sessions = SessionTable.decode(sessions);
  machine.members.clear();
  for (const [node, clientAddress, adminAddress, peerAddress] of members) machine.members.set(node, { clientAddress, adminAddress, peerAddress });
  machine.appliedIndex = index;
}
