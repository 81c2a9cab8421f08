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
import type { Engine } from "../engine/engine.ts";
import type { Logger } from "../util/logger.ts";
import { KeyValueMachine } from "./key_value_machine.ts";
import { decodeKeyValueSnapshot, KeyValueSnapshotError } from "./key_value_snapshot.ts";
import type { DurableRaftStorage } from "./storage/types.ts";

/**
 * The machine at the storage's snapshot index. A snapshot that is not of the key-value format
 * (key_value_snapshot.ts) stops the start with KeyValueSnapshotError: nothing is read from it.
 */
export async function restoreKeyValueMachine(
  engine: Engine,
  storage: DurableRaftStorage,
  logger: Logger,
): Promise<KeyValueMachine> {
  const stored = storage.snapshot();
  const machine = new KeyValueMachine(engine, stored.metadata.index);
  if (stored.data.length === 0) return machine;
  const snapshot = decodeKeyValueSnapshot(stored.data);
  if (snapshot.appliedIndex !== stored.metadata.index) {
    const reason = `of index ${snapshot.appliedIndex} stored as the Raft snapshot of index ${stored.metadata.index}`;
    throw new KeyValueSnapshotError("MALFORMED", reason);
  }
  if (engine.appliedRaftIndex() < snapshot.engineIndex) {
    logger.info("engine behind the raft snapshot: installing the snapshot", {
      engine_index: engine.appliedRaftIndex(), snapshot_index: stored.metadata.index,
    });
    await machine.install(snapshot);
    return machine;
  }
  machine.adoptSessionsAndMembers(snapshot);
  return machine;
}
