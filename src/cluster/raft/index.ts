/**
 * Public face of the Raft core. A driver (src/cluster/) owns the I/O:
 *
 *   const node = new RawNode(makeRaftConfig(id), storage, seededRandom(seed));
 *   every tick interval: node.tick();
 *   on a peer message:   node.step(message);
 *   on a client write:   node.propose(data) / proposeBatch(list)  (leader only: NotLeaderError)
 *   on a linearizable read: node.readIndex(context), then serve it when applied >= readState.index
 *   each loop turn, while node.hasReady():
 *     const ready = node.ready();
 *     persist ready.snapshot, ready.entries, ready.hardState (fsync once);
 *     for (const message of node.advance(ready)) send(message);
 *     apply ready.committedEntries; serve ready.readStates.
 *
 * Design choices, each explained where it lives: single-server membership changes
 * (conf_change.ts), configuration = newest config entry in the log (config_history.ts),
 * messages released only by advance() (raw_node.ts), pre-vote + check-quorum + leader
 * stickiness (roles.ts), optional lease reads under a stated clock-drift bound
 * (leader_lease.ts; off by default: ReadIndex needs no clock assumption).
 */
export { defaultRaftConfig, makeRaftConfig, validateRaftConfig } from "./config.ts";
export type { RaftConfig, UnsafeMutations } from "./config.ts";
export { decodeConfState, encodeConfState } from "./config_entry.ts";
export { leaseDurationTicks } from "./leader_lease.ts";
export * from "./errors.ts";
export { seededRandom } from "./random.ts";
export type { RandomSource } from "./random.ts";
export { RawNode } from "./raw_node.ts";
export type { NodeStatus, Ready } from "./raw_node.ts";
export type { ProposalPlacement } from "./leader_api.ts";
export { MemoryStorage } from "./storage.ts";
export type { InitialState, PersistentStorage, Storage } from "./storage.ts";
export * from "./types.ts";
