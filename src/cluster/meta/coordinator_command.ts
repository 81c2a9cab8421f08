/**
 * The commands that change the coordinator's state (coordinator_state.ts), one per meta-group
 * entry (encoded by coordinator_codec.ts), and what applying one gives: an outcome for its
 * proposer and, when something changed, a change for the state's followers.
 *
 * Every command is checked against the state it is applied to (apply_command.ts): one that does
 * not fit is refused with a typed outcome and changes nothing, the same way on every replica.
 * Commands carry every value they need (the cluster id, the replication factor): the proposer
 * fills in defaults and anything random, so apply reads no clock and draws no randomness.
 */
import type { MemberAddresses } from "../entry_payload_codec.ts";
import type { ShardId } from "../placement/shard_map.ts";
import type { NodeId } from "../raft/types.ts";
import type { NodeState, ReplicaId } from "./coordinator_state.ts";

/** A node as a command names it: id (the proposer's parse of the name, node_id.ts), name, addresses. */
export interface NodeSpec {
  readonly id: NodeId;
  readonly name: string;
  readonly addresses: Readonly<MemberAddresses>;
}

export type CoordinatorCommand =
  /** Starts the cluster: settings, the first nodes (up), `shardCount` equal shards placed on them. */
  | {
    readonly kind: "bootstrap";
    readonly clusterId: string;
    readonly shardCount: number;
    readonly replicationFactor: number;
    readonly metaVoters: number;
    readonly nodes: readonly NodeSpec[];
  }
  /** A new node (joining), or new addresses for a node already known (idempotent). */
  | { readonly kind: "addNode"; readonly node: NodeSpec }
  /** joining → up, up ⇄ draining; removal is removeNode. */
  | { readonly kind: "markNode"; readonly node: NodeId; readonly state: Exclude<NodeState, "removed"> }
  /** Removes a node that holds no replica; its id and name are never used again. */
  | { readonly kind: "removeNode"; readonly node: NodeId }
  /** Step 1 of a move of `shard`'s replica from `from` to `to`: a learner on `to`, with a new replica id. */
  | { readonly kind: "addLearner"; readonly shard: ShardId; readonly from: NodeId; readonly to: NodeId }
  /** Step 2: the move's learner on `node` becomes a voter. */
  | { readonly kind: "promote"; readonly shard: ShardId; readonly node: NodeId }
  /** Step 3: the move's source `node` leaves the shard, ending the move; before step 2, its learner may (a cancel). */
  | { readonly kind: "removeReplica"; readonly shard: ShardId; readonly node: NodeId }
  /** Changes a settable cluster setting (cluster_settings.ts). */
  | { readonly kind: "setSetting"; readonly name: string; readonly value: number }
  /**
   * A new node joining through `serve --join` (joining): as addNode, except that it never takes
   * over a node already recorded; only the same joining node asking again (same peer address) is
   * accepted, unchanged.
   */
  | { readonly kind: "joinNode"; readonly node: NodeSpec };

export type RefusalCode =
  /** Refused as a whole before anything else: no command but bootstrap before it, no second one. */
  | "NOT_BOOTSTRAPPED"
  | "ALREADY_BOOTSTRAPPED"
  /** A value outside its rules (a count, a name, an address, a setting's bounds). */
  | "INVALID_ARGUMENT"
  | "UNKNOWN_NODE"
  | "UNKNOWN_SHARD"
  | "UNKNOWN_SETTING"
  /** A setting fixed at bootstrap. */
  | "FIXED_SETTING"
  /** Another node has this id's name, this name's id, or this peer address. */
  | "NODE_CONFLICT"
  /** The node was removed: its id is never used again. */
  | "NODE_REMOVED"
  /** A move's target must be up. */
  | "NODE_NOT_UP"
  /** markNode: the node's state cannot go to the one asked. */
  | "INVALID_TRANSITION"
  /** removeNode: the node still holds replicas. */
  | "NODE_HOLDS_REPLICAS"
  /** A move of this shard is already in progress. */
  | "MOVE_IN_PROGRESS"
  /** No move of this shard is in progress, or its next step is another. */
  | "NO_SUCH_MOVE_STEP"
  /** A move's source must hold a voter of the shard, its target no replica of it. */
  | "INVALID_MOVE"
  /** A bound of the state (nodes, replica ids) would be passed. */
  | "LIMIT_REACHED"
  /** The entry is not a command of a known shape (coordinator_codec.ts); every replica refuses it alike. */
  | "MALFORMED";

export type CoordinatorOutcome =
  /** `changed` is false for a command that asked for what already held (a repeated addNode). */
  | { readonly ok: true; readonly changed: boolean; readonly replica?: ReplicaId }
  | { readonly ok: false; readonly code: RefusalCode; readonly message: string };

/** What an applied entry (or a restored snapshot) changed, as the state's followers are told. */
export interface CoordinatorChange {
  /** The meta group's index of the entry, or of the snapshot restored. */
  readonly index: number;
  readonly mapVersion: number;
  /** Shards whose range, epoch or replicas changed, by id in ascending order; every shard after a restore. */
  readonly shards: readonly ShardId[];
  /** Nodes added or changed, by id in ascending order; every node after a restore. */
  readonly nodes: readonly NodeId[];
  readonly settingsChanged: boolean;
  /** The whole state was replaced by a snapshot: a follower should read everything again. */
  readonly restored: boolean;
}
