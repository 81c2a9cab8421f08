/**
 * Applies one coordinator command to the state (coordinator_command.ts says what each means):
 * bootstrap and setSetting here, the node commands in node_commands.ts, the steps of a move in
 * move_commands.ts. Every handler checks the command against the state and refuses it with a
 * typed outcome before its first change, so a refused command changes nothing. Nothing here reads
 * a clock, draws randomness or depends on the order a Map was filled in: the same commands give
 * the same state on every replica, whether it applied them or restored a snapshot on the way.
 */
import { equalRanges } from "../placement/hash_range.ts";
import type { NodeId } from "../raft/types.ts";
import { assert, unreachable } from "../../util/assert.ts";
import {
  isFixedSetting, isSettableSetting, settingsProblem, settingValueProblem, type ClusterSettings,
} from "./cluster_settings.ts";
import { refused, unchanged, type Applied } from "./command_result.ts";
import type { CoordinatorCommand } from "./coordinator_command.ts";
import { nodesMax } from "./coordinator_limits.ts";
import type { CoordinatorState, ReplicaRecord } from "./coordinator_state.ts";
import { initialPlacement } from "./initial_placement.ts";
import { addLearner, promote, removeReplica } from "./move_commands.ts";
import { addNode, joinNode, markNode, nodeSpecProblem, removeNode } from "./node_commands.ts";

export function applyCommand(state: CoordinatorState, command: CoordinatorCommand): Applied {
  if (command.kind === "bootstrap") return bootstrap(state, command);
  if (state.settings === null) return refused("NOT_BOOTSTRAPPED", "the cluster has not been bootstrapped");
  switch (command.kind) {
    case "addNode":
      return addNode(state, command.node);
    case "joinNode":
      return joinNode(state, command.node);
    case "markNode":
      return markNode(state, command.node, command.state);
    case "removeNode":
      return removeNode(state, command.node);
    case "addLearner":
      return addLearner(state, command.shard, command.from, command.to);
    case "promote":
      return promote(state, command.shard, command.node);
    case "removeReplica":
      return removeReplica(state, command.shard, command.node);
    case "setSetting":
      return setSetting(state, state.settings, command.name, command.value);
    default:
      return unreachable(command, "coordinator command");
  }
}

type Bootstrap = Extract<CoordinatorCommand, { kind: "bootstrap" }>;

/** Settings, the first nodes (up), and shardCount equal shards at epoch 1, placed on those nodes; map version 1. */
function bootstrap(state: CoordinatorState, command: Bootstrap): Applied {
  if (state.settings !== null) return refused("ALREADY_BOOTSTRAPPED", "the cluster was bootstrapped already");
  assert(state.nodes.size === 0 && state.shards.size === 0, "a state without settings holds nothing");
  const settings: ClusterSettings = {
    clusterId: command.clusterId,
    shardsAtBootstrap: command.shardCount,
    replicationFactor: command.replicationFactor,
    metaVoters: command.metaVoters,
  };
  const problem = settingsProblem(settings) ?? bootstrapNodesProblem(command);
  if (problem !== null) return refused("INVALID_ARGUMENT", problem);
  state.settings = settings;
  for (const spec of command.nodes) {
    state.nodes.set(spec.id, { id: spec.id, name: spec.name, addresses: { ...spec.addresses }, state: "up" });
  }
  const ranges = equalRanges(command.shardCount);
  const nodeIds = command.nodes.map((spec) => spec.id);
  const placement = initialPlacement(command.shardCount, nodeIds, command.replicationFactor);
  for (const [index, range] of ranges.entries()) {
    const id = state.nextShardId++;
    const replicas = placement[index]!.map((node): ReplicaRecord => {
      return { replica: state.nextReplicaId++, node, role: "voter" };
    });
    state.shards.set(id, { id, range, epoch: 1, replicas });
  }
  state.mapVersion = 1;
  const nodes = [...nodeIds].sort((a, b) => a - b);
  const shards = [...state.shards.keys()];
  return { outcome: { ok: true, changed: true }, changed: { shards, nodes, settingsChanged: true } };
}

/** The first rule the bootstrap's nodes break (each valid; ids, names, peer addresses unique; enough of them). */
function bootstrapNodesProblem(command: Bootstrap): string | null {
  const { nodes } = command;
  if (nodes.length === 0 || nodes.length > nodesMax) return `a cluster starts on 1 to ${nodesMax} nodes`;
  for (const spec of nodes) {
    const problem = nodeSpecProblem(spec);
    if (problem !== null) return problem;
  }
  for (const [what, key] of uniqueKeys) {
    if (new Set(nodes.map(key)).size !== nodes.length) return `two of the first nodes have the same ${what}`;
  }
  if (command.replicationFactor > nodes.length) {
    return `a replication factor of ${command.replicationFactor} needs as many nodes, not ${nodes.length}`;
  }
  if (command.metaVoters > nodes.length) return `${command.metaVoters} coordinator voters need as many nodes`;
  return null;
}

const uniqueKeys: ReadonlyArray<[string, (spec: Bootstrap["nodes"][number]) => NodeId | string]> = [
  ["id", (spec) => spec.id],
  ["name", (spec) => spec.name],
  ["peer address", (spec) => spec.addresses.peerAddress],
];

function setSetting(state: CoordinatorState, settings: ClusterSettings, name: string, value: number): Applied {
  if (isFixedSetting(name)) return refused("FIXED_SETTING", `${name} is fixed when the cluster is bootstrapped`);
  if (!isSettableSetting(name)) return refused("UNKNOWN_SETTING", `no cluster setting is called ${name}`);
  const problem = settingValueProblem(name, value);
  if (problem !== null) return refused("INVALID_ARGUMENT", problem);
  const nodes = [...state.nodes.values()].filter((node) => node.state !== "removed").length;
  if (value > nodes) {
    return refused("INVALID_ARGUMENT", `${name} ${value} needs as many nodes; the cluster has ${nodes}`);
  }
  if (settings[name] === value) return unchanged;
  state.settings = { ...settings, [name]: value };
  return { outcome: { ok: true, changed: true }, changed: { shards: [], nodes: [], settingsChanged: true } };
}
