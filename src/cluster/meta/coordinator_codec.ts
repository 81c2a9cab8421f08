/**
 * The coordinator's two formats, owned here alone: its commands (the `data` of a meta-group Raft
 * entry, coordinator_command.ts) and its snapshot (the `data` of a meta-group Raft snapshot, §5,
 * which a leader streams to a lagging follower). Both are one msgpack array whose first element
 * is the format version, 1 (coordinatorFormatVersion) for both.
 *
 * Command: [version, kind, ...fields]
 *   kind 1 bootstrap      [1, 1, clusterId, shardCount, replicationFactor, metaVoters, [node, ...]]
 *   kind 2 addNode        [1, 2, node]
 *   kind 3 markNode       [1, 3, nodeId, state]          state "joining" | "up" | "draining"
 *   kind 4 removeNode     [1, 4, nodeId]
 *   kind 5 addLearner     [1, 5, shardId, fromNodeId, toNodeId]
 *   kind 6 promote        [1, 6, shardId, nodeId]
 *   kind 7 removeReplica  [1, 7, shardId, nodeId]
 *   kind 8 setSetting     [1, 8, name, value]
 *   kind 9 joinNode       [1, 9, node]
 *   node = [id, name, clientAddress, peerAddress, adminAddress]
 * Numbers are safe integers (msgpack ints; any sign) and names strings; that shape is all the
 * decoder checks of a command. Whether its values make sense (ids known, counts in bounds) is for
 * apply to judge against the state (apply_command.ts), which refuses with a typed outcome.
 *
 * Snapshot: [version, appliedIndex, settings, mapVersion, nextShardId, nextReplicaId, nodes, shards, moves]
 *   appliedIndex   a safe integer >= 0: the Raft index the snapshot is of
 *   settings       null before bootstrap, else [clusterId, shardsAtBootstrap, replicationFactor, metaVoters]
 *   nodes          [[id, name, clientAddress, peerAddress, adminAddress, state], ...] by ascending id
 *   shards         [[id, [startHigh, startLow], [endHigh, endLow], epoch, [[replicaId, nodeId, role], ...]], ...]
 *                  by ascending range; a bound as two u32 halves (the end of space is [2^32, 0],
 *                  placement/hash_range.ts); role "voter" | "learner"
 *   moves          [[shardId, fromNodeId, toNodeId], ...] by ascending shard id
 * The encoding of a state is canonical (sorted as above), so two replicas hold the same state
 * exactly when their snapshots at the same index are the same bytes.
 *
 * Validity: exactly these shapes, of a known version, no id listed twice, and the state they
 * describe keeps every invariant of state_check.ts. Anything else is refused with a
 * CoordinatorCodecError before any state changes: UNKNOWN_VERSION for a version this code does
 * not know (never read as if it were another), MALFORMED for the rest. Entries and snapshots are
 * checksummed by the Raft storage on disk and the peer transport on the wire, so a refusal means
 * a bug or a node of another version, not a flipped bit.
 * Recovery: none here. A replica that cannot read a snapshot stops (its install or start fails);
 * one that meets a command of an unknown version stops (the others apply it, it cannot); a
 * malformed command of a known version is refused alike by every replica (the MALFORMED outcome).
 * A new version gets its decoder here before anything writes it.
 */
import { Encoder } from "@msgpack/msgpack";
import type { ReplicaRole } from "../placement/shard_map.ts";
import { boundedDecoder } from "../../util/bounded_decoder.ts";
import { unreachable } from "../../util/assert.ts";
import type { ClusterSettings } from "./cluster_settings.ts";
import type { CoordinatorCommand, NodeSpec } from "./coordinator_command.ts";
import {
  compareByRange, type CoordinatorState, type MoveRecord, type NodeRecord, type NodeState, type ShardRecord,
} from "./coordinator_state.ts";
import { bound, FieldError, integer, list, text, tuple } from "./codec_fields.ts";
import { coordinatorStateProblem } from "./state_check.ts";

export const coordinatorFormatVersion = 1;

export class CoordinatorCodecError extends Error {
  override name = "CoordinatorCodecError";
  constructor(
    readonly code: "UNKNOWN_VERSION" | "MALFORMED",
    message: string,
  ) {
    super(`coordinator format: ${message}`);
  }
}

const commandKinds = [
  "bootstrap", "addNode", "markNode", "removeNode", "addLearner", "promote", "removeReplica", "setSetting", "joinNode",
] as const;
/** Fields after the version and the kind, per kind. */
const commandFieldCounts: Readonly<Record<(typeof commandKinds)[number], number>> = {
  bootstrap: 5, addNode: 1, markNode: 2, removeNode: 1, addLearner: 3, promote: 2, removeReplica: 2, setSetting: 2,
  joinNode: 1,
};
const snapshotFieldCount = 9;

/** Reused: msgpack encodes with fewer allocations from a warm buffer (the result is copied out). */
const encoder = new Encoder();

export function encodeCommand(command: CoordinatorCommand): Uint8Array {
  const kind = commandKinds.indexOf(command.kind) + 1;
  return encoder.encode([coordinatorFormatVersion, kind, ...commandFields(command)]).slice();
}

function commandFields(command: CoordinatorCommand): unknown[] {
  switch (command.kind) {
    case "bootstrap": {
      const { clusterId, shardCount, replicationFactor, metaVoters, nodes } = command;
      return [clusterId, shardCount, replicationFactor, metaVoters, nodes.map(nodeTuple)];
    }
    case "addNode":
    case "joinNode":
      return [nodeTuple(command.node)];
    case "markNode":
      return [command.node, command.state];
    case "removeNode":
      return [command.node];
    case "addLearner":
      return [command.shard, command.from, command.to];
    case "promote":
    case "removeReplica":
      return [command.shard, command.node];
    case "setSetting":
      return [command.name, command.value];
    default:
      return unreachable(command, "coordinator command");
  }
}

/** The command an entry's data holds; CoordinatorCodecError when it is not one (see the head comment). */
export function decodeCommand(data: Uint8Array): CoordinatorCommand {
  const fields = versionedFields(data, "command");
  return readFields(() => commandOf(fields[1], fields.slice(2)));
}

function commandOf(kindField: unknown, f: unknown[]): CoordinatorCommand {
  const kind = commandKinds[integer(kindField) - 1];
  if (kind === undefined) throw new FieldError(`unknown command kind ${String(kindField)}`);
  const expected = commandFieldCounts[kind];
  if (f.length !== expected) throw new FieldError(`${kind} with ${f.length} fields, not ${expected}`);
  switch (kind) {
    case "bootstrap": {
      const [shardCount, replicationFactor, metaVoters] = [integer(f[1]), integer(f[2]), integer(f[3])];
      const nodes = list(f[4]).map(nodeSpecOf);
      return { kind, clusterId: text(f[0]), shardCount, replicationFactor, metaVoters, nodes };
    }
    case "addNode":
    case "joinNode":
      return { kind, node: nodeSpecOf(f[0]) };
    case "markNode":
      return { kind, node: integer(f[0]), state: text(f[1]) as Exclude<NodeState, "removed"> };
    case "removeNode":
      return { kind, node: integer(f[0]) };
    case "addLearner":
      return { kind, shard: integer(f[0]), from: integer(f[1]), to: integer(f[2]) };
    case "promote":
    case "removeReplica":
      return { kind, shard: integer(f[0]), node: integer(f[1]) };
    case "setSetting":
      return { kind, name: text(f[0]), value: integer(f[1]) };
    default:
      return unreachable(kind, "coordinator command kind");
  }
}

/** The state as a snapshot at `appliedIndex` (canonical: see the head comment). */
export function encodeSnapshot(state: CoordinatorState, appliedIndex: number): Uint8Array {
  const settings = state.settings;
  const nodes = [...state.nodes.values()].sort((a, b) => a.id - b.id).map(nodeRecordTuple);
  const shards = [...state.shards.values()].sort(compareByRange).map(shardTuple);
  const moves = [...state.moves.values()].sort((a, b) => a.shard - b.shard).map((m) => [m.shard, m.from, m.to]);
  const settingsTuple = settings === null
    ? null
    : [settings.clusterId, settings.shardsAtBootstrap, settings.replicationFactor, settings.metaVoters];
  const { mapVersion, nextShardId, nextReplicaId } = state;
  const head = [coordinatorFormatVersion, appliedIndex, settingsTuple, mapVersion, nextShardId, nextReplicaId];
  return new Encoder().encode([...head, nodes, shards, moves]);
}

/** A snapshot decoded and checked (the validity rule above); CoordinatorCodecError otherwise. */
export function decodeSnapshot(data: Uint8Array): { state: CoordinatorState; appliedIndex: number } {
  const fields = versionedFields(data, "snapshot");
  if (fields.length !== snapshotFieldCount) {
    throw malformed(`snapshot of ${fields.length} fields, not ${snapshotFieldCount}`);
  }
  const { state, appliedIndex } = readFields(() => ({
    appliedIndex: integer(fields[1]),
    state: {
      settings: fields[2] === null ? null : settingsOf(fields[2]),
      mapVersion: integer(fields[3]),
      nextShardId: integer(fields[4]),
      nextReplicaId: integer(fields[5]),
      nodes: keyed(list(fields[6]).map(nodeRecordOf), (node) => node.id, "node"),
      shards: keyed(list(fields[7]).map(shardOf), (shard) => shard.id, "shard"),
      moves: keyed(list(fields[8]).map(moveOf), (move) => move.shard, "move"),
    },
  }));
  if (appliedIndex < 0) throw malformed(`applied index ${appliedIndex}`);
  const problem = coordinatorStateProblem(state);
  if (problem !== null) throw malformed(problem);
  return { state, appliedIndex };
}

/** The array of fields of a command or snapshot, its version known; CoordinatorCodecError otherwise. */
function versionedFields(data: Uint8Array, what: string): unknown[] {
  let decoded: unknown;
  try {
    decoded = boundedDecoder(data.length).decode(data);
  } catch (error) {
    throw malformed(`${what} is not msgpack (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(decoded) || decoded.length < 2) throw malformed(`${what} is not an array of fields`);
  if (decoded[0] !== coordinatorFormatVersion) {
    const reason = `${what} of format version ${String(decoded[0])}, this node reads ${coordinatorFormatVersion}`;
    throw new CoordinatorCodecError("UNKNOWN_VERSION", reason);
  }
  return decoded;
}

/** What `read` returns, a FieldError turned into MALFORMED. */
function readFields<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FieldError) throw malformed(error.message);
    throw error;
  }
}

function malformed(reason: string): CoordinatorCodecError {
  return new CoordinatorCodecError("MALFORMED", reason);
}

function nodeTuple(node: NodeSpec): unknown[] {
  const { clientAddress, peerAddress, adminAddress } = node.addresses;
  return [node.id, node.name, clientAddress, peerAddress, adminAddress];
}

function nodeRecordTuple(node: NodeRecord): unknown[] {
  return [...nodeTuple(node), node.state];
}

function shardTuple(shard: ShardRecord): unknown[] {
  const { start, end } = shard.range;
  const replicas = shard.replicas.map((replica) => [replica.replica, replica.node, replica.role]);
  return [shard.id, [start.high, start.low], [end.high, end.low], shard.epoch, replicas];
}

function nodeSpecOf(value: unknown): NodeSpec {
  const [id, name, clientAddress, peerAddress, adminAddress] = tuple(value, 5);
  return {
    id: integer(id),
    name: text(name),
    addresses: { clientAddress: text(clientAddress), peerAddress: text(peerAddress), adminAddress: text(adminAddress) },
  };
}

function nodeRecordOf(value: unknown): NodeRecord {
  const fields = tuple(value, 6);
  return { ...nodeSpecOf(fields.slice(0, 5)), state: text(fields[5]) as NodeState };
}

function shardOf(value: unknown): ShardRecord {
  const [id, start, end, epoch, replicas] = tuple(value, 5);
  return {
    id: integer(id),
    range: { start: bound(start), end: bound(end) },
    epoch: integer(epoch),
    replicas: list(replicas).map((replica) => {
      const [replicaId, node, role] = tuple(replica, 3);
      return { replica: integer(replicaId), node: integer(node), role: text(role) as ReplicaRole };
    }),
  };
}

function moveOf(value: unknown): MoveRecord {
  const [shard, from, to] = tuple(value, 3);
  return { shard: integer(shard), from: integer(from), to: integer(to) };
}

function settingsOf(value: unknown): ClusterSettings {
  const [clusterId, shardsAtBootstrap, replicationFactor, metaVoters] = tuple(value, 4);
  return {
    clusterId: text(clusterId),
    shardsAtBootstrap: integer(shardsAtBootstrap),
    replicationFactor: integer(replicationFactor),
    metaVoters: integer(metaVoters),
  };
}

/** A map of `items` by `key`; a FieldError when a key repeats (a snapshot lists each id once). */
function keyed<K, V>(items: V[], key: (item: V) => K, what: string): Map<K, V> {
  const map = new Map<K, V>();
  for (const item of items) {
    if (map.has(key(item))) throw new FieldError(`${what} ${String(key(item))} is listed twice`);
    map.set(key(item), item);
  }
  return map;
}
