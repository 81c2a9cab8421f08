/**
 * The coordinator's machine: the meta group's replicated state machine on one node, one of the
 * ReplicatedMachine implementations a replica driver runs (replica/replicated_machine.ts), beside
 * the key-value machine of a shard. Every node keeps a copy; the node runtime reads it (the shard
 * map, the node list, the replicas a node holds) and follows it (subscribe).
 *
 * apply() decodes a committed entry's command (coordinator_codec.ts) and applies it
 * (apply_command.ts): the outcome answers its proposer, and a change tells every subscriber, at
 * once and in log order, what changed (map version, shards, nodes, settings). An entry of a
 * format version this code does not know stops the replica (onFatal): the other replicas apply
 * it, this one cannot. snapshot() encodes the state at once (it is small: a few hundred KiB at
 * the largest shard map); restore() replaces it with a checked snapshot and tells subscribers to
 * read everything again.
 *
 * Leaders are not replicated: reportLeader() records them best-effort (leader_hints.ts), and the
 * shard map read here carries each shard's reported leader while it is a voter of the shard.
 */
import { ShardMap, type ReplicaRole, type ShardDescriptor, type ShardId } from "../placement/shard_map.ts";
import type { Entry, NodeId, Snapshot } from "../raft/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "../replica/replicated_machine.ts";
import { applyCommand } from "./apply_command.ts";
import type { ChangedParts } from "./command_result.ts";
import type { ClusterSettings } from "./cluster_settings.ts";
import { CoordinatorCodecError, decodeCommand, decodeSnapshot, encodeSnapshot } from "./coordinator_codec.ts";
import type { CoordinatorChange, CoordinatorCommand, CoordinatorOutcome } from "./coordinator_command.ts";
import {
  compareByRange, emptyCoordinatorState, type CoordinatorState, type MoveRecord, type NodeRecord, type ReplicaId,
  type ShardRecord,
} from "./coordinator_state.ts";
import { LeaderHints } from "./leader_hints.ts";
import { assert } from "../../util/assert.ts";

/** One replica a node holds, as replicasOn lists it. */
export interface HeldReplica {
  readonly shard: ShardId;
  readonly replica: ReplicaId;
  readonly role: ReplicaRole;
}

/** Told after every entry that changed the state and after every restore; must not throw (it runs inside apply). */
export type CoordinatorListener = (change: CoordinatorChange) => void;

export class CoordinatorMachine implements ReplicatedMachine<CoordinatorOutcome> {
  appliedIndex: number;
  onFatal: (error: Error) => void = () => {};
  private state: CoordinatorState;
  private readonly leaders = new LeaderHints();
  private readonly listeners = new Set<CoordinatorListener>();
  /** The shard map with leaders, built on first read after a change of shards or leaders. */
  private map: ShardMap | null = null;

  constructor(appliedIndex = 0, state: CoordinatorState = emptyCoordinatorState()) {
    this.appliedIndex = appliedIndex;
    this.state = state;
  }

  /** The machine at a Raft storage's snapshot (empty before the group's first); CoordinatorCodecError for a bad one. */
  static fromSnapshot(snapshot: Snapshot): CoordinatorMachine {
    const index = snapshot.metadata.index;
    if (snapshot.data.length === 0) return new CoordinatorMachine(index);
    return new CoordinatorMachine(index, decodeAt(snapshot.data, index));
  }

  apply(entry: Entry): Promise<CoordinatorOutcome> | undefined {
    assert(entry.index === this.appliedIndex + 1, "committed entries are applied in order, once each");
    this.appliedIndex = entry.index;
    if (entry.kind === "config" || entry.data.length === 0) return undefined;
    let command: CoordinatorCommand;
    try {
      command = decodeCommand(entry.data);
    } catch (error) {
      if (!(error instanceof CoordinatorCodecError)) throw error;
      if (error.code === "UNKNOWN_VERSION") this.onFatal(error);
      return Promise.resolve({ ok: false, code: "MALFORMED", message: error.message });
    }
    const { outcome, changed } = applyCommand(this.state, command);
    if (changed !== null) this.tell(changed, false);
    return Promise.resolve(outcome);
  }

  async snapshot(): Promise<MachineSnapshot> {
    const index = this.appliedIndex;
    return { index, data: Promise.resolve(encodeSnapshot(this.state, index)) };
  }

  /** Replaces the whole state; a snapshot that is not of this format is refused (CoordinatorCodecError) first. */
  async restore(data: Uint8Array, index: number): Promise<void> {
    assert(Number.isSafeInteger(index) && index >= 0, "a snapshot's index is a non-negative integer");
    this.state = decodeAt(data, index);
    this.appliedIndex = index;
    const { shards, nodes } = this.state;
    this.tell({ shards: [...shards.keys()], nodes: [...nodes.keys()], settingsChanged: true }, true);
  }

  /** Calls `listener` after every change from now on; returns the function that stops it. */
  subscribe(listener: CoordinatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a shard's leader as observed (leader_hints.ts); not replicated, not in snapshots. */
  reportLeader(shard: ShardId, leader: NodeId, term: number): void {
    if (this.leaders.report(shard, leader, term)) this.map = null;
  }

  get bootstrapped(): boolean {
    return this.state.settings !== null;
  }

  /** Every replica id below this was given (replica ids grow): a replica id at or above it is news to this state. */
  get nextReplicaId(): number {
    return this.state.nextReplicaId;
  }

  get mapVersion(): number {
    return this.state.mapVersion;
  }

  settings(): ClusterSettings | null {
    return this.state.settings;
  }

  /** The shard map with the leaders reported (null before bootstrap); the same object until something changes. */
  shardMap(): ShardMap | null {
    if (this.state.settings === null) return null;
    if (this.map === null) {
      const shards = [...this.state.shards.values()].sort(compareByRange);
      this.map = new ShardMap(this.state.mapVersion, shards.map((shard) => this.describe(shard)));
    }
    return this.map;
  }

  /** A shard's descriptor with its reported leader, as a WRONG_SHARD reply carries it. */
  descriptor(shard: ShardId): ShardDescriptor | undefined {
    const record = this.state.shards.get(shard);
    return record === undefined ? undefined : this.describe(record);
  }

  /** A shard as replicated, with its replica ids (the ids its Raft group knows its members by). */
  shard(shard: ShardId): ShardRecord | undefined {
    return this.state.shards.get(shard);
  }

  /** Every node ever added (removed ones too, in state "removed"), by id. */
  nodes(): NodeRecord[] {
    return [...this.state.nodes.values()].sort((a, b) => a.id - b.id);
  }

  node(id: NodeId): NodeRecord | undefined {
    return this.state.nodes.get(id);
  }

  /** The replicas `node` holds, by shard id. */
  replicasOn(node: NodeId): HeldReplica[] {
    const held: HeldReplica[] = [];
    for (const shard of this.state.shards.values()) {
      const replica = shard.replicas.find((each) => each.node === node);
      if (replica !== undefined) held.push({ shard: shard.id, replica: replica.replica, role: replica.role });
    }
    return held.sort((a, b) => a.shard - b.shard);
  }

  /** The move in progress of `shard`, if any (its step is the target's role in the shard). */
  move(shard: ShardId): MoveRecord | undefined {
    return this.state.moves.get(shard);
  }

  /** Every move in progress, by shard id. */
  moves(): MoveRecord[] {
    return [...this.state.moves.values()].sort((a, b) => a.shard - b.shard);
  }

  /** The state as a snapshot would hold it (its canonical bytes): equal states, equal bytes. */
  encodedState(): Uint8Array {
    return encodeSnapshot(this.state, this.appliedIndex);
  }

  private describe(record: ShardRecord): ShardDescriptor {
    const replicas = record.replicas.map(({ node, role }) => ({ node, role }));
    const leader = this.leaders.leaderOf(record.id);
    const leads = leader !== undefined && replicas.some(({ node, role }) => node === leader && role === "voter");
    const { id, range, epoch } = record;
    return leads ? { id, range, epoch, replicas, leader } : { id, range, epoch, replicas };
  }

  private tell(changed: ChangedParts, restored: boolean): void {
    if (changed.shards.length > 0 || restored) this.map = null;
    const change: CoordinatorChange = {
      index: this.appliedIndex,
      mapVersion: this.state.mapVersion,
      shards: [...changed.shards].sort((a, b) => a - b),
      nodes: [...changed.nodes].sort((a, b) => a - b),
      settingsChanged: changed.settingsChanged,
      restored,
    };
    for (const listener of this.listeners) listener(change);
  }
}

/** The state a snapshot of `index` holds; CoordinatorCodecError when it does not decode or is of another index. */
function decodeAt(data: Uint8Array, index: number): CoordinatorState {
  const decoded = decodeSnapshot(data);
  if (decoded.appliedIndex !== index) {
    const reason = `a snapshot of index ${decoded.appliedIndex} inside a Raft snapshot of index ${index}`;
    throw new CoordinatorCodecError("MALFORMED", reason);
  }
  return decoded.state;
}
