/**
 * The node-list commands of the coordinator (coordinator_command.ts): addNode, joinNode, markNode
 * and removeNode. Each checks everything against the state first and refuses with a typed outcome
 * (command_result.ts) before it changes anything.
 *
 * Rules: ids and names are unique across every record, removed ones included, so neither is ever
 * used again by another node; no two nodes that are not removed share a peer address (one of them
 * would receive the other's messages). addNode of a known node updates its addresses (a restarted
 * node may listen elsewhere) and is accepted unchanged when they are the same. joinNode, what a
 * node joining by itself (`serve --join`) asks for, adds only: a node already recorded is a
 * NODE_CONFLICT (a second node under a taken name, or a member that lost its data: it joins under
 * a new name), except the joining node itself asking again from the same peer address (its first
 * answer was lost, or it stopped before catching up), which is accepted unchanged. Node states move
 * joining → up, up ⇄ draining; only removeNode removes, and only a node holding no replica.
 */
import { nodeIdMax } from "../placement/placement_limits.ts";
import type { NodeId } from "../raft/types.ts";
import { nodeChanged, refused, unchanged, type Applied } from "./command_result.ts";
import type { NodeSpec } from "./coordinator_command.ts";
import { addressCharactersMax, nodeNameCharactersMax, nodesMax } from "./coordinator_limits.ts";
import { holdsReplicas, type CoordinatorState, type NodeRecord, type NodeState } from "./coordinator_state.ts";

/** The transitions markNode allows, from each state. */
const transitions: Readonly<Record<NodeState, readonly NodeState[]>> = {
  joining: ["up"],
  up: ["draining"],
  draining: ["up"],
  removed: [],
};

/** The first way `spec` breaks the rules of a node on its own (id, name, addresses), or null. */
export function nodeSpecProblem(spec: NodeSpec): string | null {
  if (!Number.isInteger(spec.id) || spec.id <= 0 || spec.id > nodeIdMax) return `node id ${spec.id} is out of bounds`;
  if (typeof spec.name !== "string" || spec.name.length === 0 || spec.name.length > nodeNameCharactersMax) {
    return `node ${spec.id}: the name must be 1 to ${nodeNameCharactersMax} characters`;
  }
  const { clientAddress, peerAddress, adminAddress } = spec.addresses;
  for (const address of [clientAddress, peerAddress, adminAddress]) {
    if (typeof address !== "string" || address.length > addressCharactersMax) {
      return `node ${spec.name}: an address must be at most ${addressCharactersMax} characters`;
    }
  }
  if (peerAddress.length === 0) return `node ${spec.name}: the peer address is missing`;
  return null;
}

export function addNode(state: CoordinatorState, spec: NodeSpec): Applied {
  const problem = nodeSpecProblem(spec);
  if (problem !== null) return refused("INVALID_ARGUMENT", problem);
  const existing = state.nodes.get(spec.id);
  if (existing?.state === "removed") {
    return refused("NODE_REMOVED", `node ${spec.name} was removed; add it under a new name`);
  }
  if (existing !== undefined && existing.name !== spec.name) {
    return refused("NODE_CONFLICT", `node id ${spec.id} belongs to node ${existing.name}, not ${spec.name}`);
  }
  const sameName = [...state.nodes.values()].find((node) => node.name === spec.name && node.id !== spec.id);
  if (sameName !== undefined) {
    return refused("NODE_CONFLICT", `the name ${spec.name} belongs to node id ${sameName.id}`);
  }
  const samePeer = peerAddressHolder(state, spec.addresses.peerAddress, spec.id);
  if (samePeer !== undefined) {
    return refused("NODE_CONFLICT", `peer address ${spec.addresses.peerAddress} belongs to node ${samePeer.name}`);
  }
  if (existing === undefined && state.nodes.size >= nodesMax) {
    return refused("LIMIT_REACHED", `the cluster has had ${nodesMax} nodes, the most it may record`);
  }
  if (existing !== undefined && sameAddresses(existing, spec)) return unchanged;
  const addresses = { ...spec.addresses };
  state.nodes.set(spec.id, { id: spec.id, name: spec.name, addresses, state: existing?.state ?? "joining" });
  return nodeChanged(spec.id);
}

export function joinNode(state: CoordinatorState, spec: NodeSpec): Applied {
  const problem = nodeSpecProblem(spec);
  if (problem !== null) return refused("INVALID_ARGUMENT", problem);
  const existing = state.nodes.get(spec.id);
  const taken = existing !== undefined && existing.state !== "removed" && existing.name === spec.name;
  if (!taken) return addNode(state, spec);
  if (existing.state !== "joining") {
    const member = `node ${existing.name} is already a member of the cluster (${existing.state})`;
    return refused("NODE_CONFLICT", `${member}; a node that lost its data joins under a new name`);
  }
  const { peerAddress } = existing.addresses;
  if (peerAddress !== spec.addresses.peerAddress) {
    const taken = `node ${existing.name} is joining already, from peer address ${peerAddress}`;
    return refused("NODE_CONFLICT", `${taken}, not ${spec.addresses.peerAddress}`);
  }
  return unchanged;
}

export function markNode(state: CoordinatorState, id: NodeId, to: NodeState): Applied {
  const node = state.nodes.get(id);
  if (node === undefined) return refused("UNKNOWN_NODE", `node ${id} is not in the cluster`);
  if (node.state === "removed") return refused("NODE_REMOVED", `node ${node.name} was removed`);
  if (!(to === "joining" || to === "up" || to === "draining")) {
    return refused("INVALID_ARGUMENT", `a node can be marked joining, up or draining, not ${String(to)}`);
  }
  if (node.state === to) return unchanged;
  if (!transitions[node.state].includes(to)) {
    return refused("INVALID_TRANSITION", `node ${node.name} is ${node.state}; it cannot become ${to}`);
  }
  state.nodes.set(id, { ...node, state: to });
  return nodeChanged(id);
}

export function removeNode(state: CoordinatorState, id: NodeId): Applied {
  const node = state.nodes.get(id);
  if (node === undefined) return refused("UNKNOWN_NODE", `node ${id} is not in the cluster`);
  if (node.state === "removed") return unchanged;
  if (holdsReplicas(state, id)) {
    return refused("NODE_HOLDS_REPLICAS", `node ${node.name} still holds replicas; move them away first`);
  }
  state.nodes.set(id, { ...node, state: "removed" });
  return nodeChanged(id);
}

/** The node, other than `except`, not removed, that listens on `peerAddress`. */
function peerAddressHolder(state: CoordinatorState, peerAddress: string, except: NodeId): NodeRecord | undefined {
  for (const node of state.nodes.values()) {
    if (node.id !== except && node.state !== "removed" && node.addresses.peerAddress === peerAddress) return node;
  }
  return undefined;
}

function sameAddresses(node: NodeRecord, spec: NodeSpec): boolean {
  const [a, b] = [node.addresses, spec.addresses];
  return a.clientAddress === b.clientAddress && a.peerAddress === b.peerAddress && a.adminAddress === b.adminAddress;
}
