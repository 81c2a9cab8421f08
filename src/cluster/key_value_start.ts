/**
 * Start-up of the key-value machine (key_value_machine.ts) beside a Raft storage. The engine
 * recovers from its own files; the Raft storage holds a snapshot (index S) and the entries after
 * it. Two cases:
 * - the engine reached at least the snapshot's engine image (the usual case): only the session
 *   table and member addresses come from the snapshot; Raft then re-delivers entries after S and
 *   the machine skips those the engine already holds;
 * - the engine is behind it (a crash between persisting a leader's snapshot and installing it,
 *   or an engine log that lost an unsynced tail): the snapshot is installed into the engine,
 *   since the entries that would rebuild the gap were compacted away.
 */
import { Decoder } from "@msgpack/msgpack";
import type { Engine } from "../engine/engine.ts";
import { ChunkKind, decodeSnapshotChunk } from "../engine/snapshot.ts";
import { assert } from "../util/assert.ts";
import type { Logger } from "../util/logger.ts";
import { SessionTable } from "./session_table.ts";
import { KeyValueMachine } from "./key_value_machine.ts";
import { installStateMachineSnapshot, restoreMembers, type MemberTuple } from "./state_machine_snapshot.ts";
import type { DurableRaftStorage } from "./storage/types.ts";

export async function restoreKeyValueMachine(
  engine: Engine,
  storage: DurableRaftStorage,
  logger: Logger,
): Promise<KeyValueMachine> {
  const snapshot = storage.snapshot();
  const machine = new KeyValueMachine(engine, snapshot.metadata.index, new SessionTable());
  if (snapshot.data.length === 0) return machine;
  if (engine.appliedRaftIndex() < engineIndexOf(snapshot.data)) {
    logger.info("engine behind the raft snapshot: installing the snapshot", {
      engine_index: engine.appliedRaftIndex(), snapshot_index: snapshot.metadata.index,
    });
    await installStateMachineSnapshot(machine, snapshot.data);
    return machine;
  }
  type Decoded = [number, number, Uint8Array[], Uint8Array, MemberTuple[]];
  const [, , , sessions, members] = new Decoder().decode(snapshot.data) as Decoded;
  machine.sessions = SessionTable.decode(sessions);
  restoreMembers(machine.members, members);
  return machine;
}

/** The last engine write (Raft index) inside a state-machine snapshot: its engine header says. */
function engineIndexOf(data: Uint8Array): number {
  const decoded = new Decoder().decode(data) as [number, number, Uint8Array[]];
  const header = decodeSnapshotChunk(decoded[2][0]);
  assert(header.kind === ChunkKind.header, "state-machine snapshot: engine stream without a header");
  return header.raftIndex;
}
