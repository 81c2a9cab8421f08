/**
 * What a replica driver (replica_driver.ts) needs of the state machine its group's committed
 * entries are applied to. Two implementations: the key-value machine of a shard
 * (key_value_machine.ts: engine, session table, member addresses) and, next, the coordinator's
 * machine. The driver knows nothing of what an entry means, how outcomes look, how writes are
 * deduplicated or how a snapshot is encoded: each machine owns that.
 *
 * The driver's side of the contract:
 * - apply() gets every committed entry exactly once, in index order, with no gap: normal
 *   entries (an empty one is a new leader's no-op, §6.4) and config entries (the core has
 *   already taken their membership into account; the machine only moves appliedIndex past them);
 * - restore() replaces the whole state with a snapshot made by snapshot() on some replica of
 *   the group (a leader's, for a lagging follower), after which apply() continues at index + 1;
 * - snapshot() is called between loop turns, never while restore() runs.
 * A replica starts from a machine whose appliedIndex is the index of its storage's snapshot.
 */
import type { Entry } from "../raft/types.ts";

export interface ReplicatedMachine<Outcome> {
  /** Index of the last entry applied, or of the snapshot restored. */
  readonly appliedIndex: number;
  /**
   * Applies one committed entry; returns what its proposer is answered with (resolved once the
   * effect is settled), or undefined for an entry that answers no one (a no-op, a config entry).
   */
  apply(entry: Entry): Promise<Outcome> | undefined;
  /**
   * Takes a snapshot at appliedIndex: resolves once the state is pictured (applies may go on
   * from then), with the encoded bytes still being finished in the background.
   */
  snapshot(): Promise<MachineSnapshot>;
  /** Replaces the whole state with `data` (from snapshot()); appliedIndex becomes `index`. */
  restore(data: Uint8Array, index: number): Promise<void>;
  /**
   * Set by the driver: the machine calls it when it can no longer hold what the other replicas
   * hold (its own storage failed); the replica then stops serving.
   */
  onFatal: (error: Error) => void;
}

/** A snapshot being taken: its index is fixed at once, its bytes come when finished. */
export interface MachineSnapshot {
  index: number;
  data: Promise<Uint8Array>;
}
