/**
 * How a node learns that it was removed from its group, and what it then says. A removed node
 * never receives the configuration entry that removes it: the leader stops replicating to it as
 * soon as the entry is appended (§4.1: a configuration takes effect when appended), and the core
 * refuses to let a leader remove itself (it hands leadership over first). So it learns it from
 * its peers, connected or not when the removal committed: once a peer has applied the removal,
 * it refuses the node's connection (or, when the connection still carries groups the two nodes
 * share, the node's messages of this group) with a PeerRefusal naming the group and saying its
 * membership as of its applied index A does not list the node's member (as etcd answers a
 * removed member 410 Gone; group_multiplexer.ts routes it to that group's replica alone). That
 * proves a removal only when this node's own applied
 *   membership lists it and its applied index is below A: both memberships are committed, so
 *   the one at A replaced this node's (the peer is ahead, not behind). A node that is joining
 *   (`serve --join`, not yet added) has no applied membership listing it, so it is never told
 *   it was removed; one whose peer is behind it (its own addition not applied there yet) is not
 *   either.
 */
import { formatNodeId } from "./node_id.ts";
import type { ConfState, NodeId } from "./raft/types.ts";
import type { PeerRefusal } from "./transport/types.ts";

export interface NodeRemoval {
  node: NodeId;
  /** An index at which the group's committed membership no longer lists the node. */
  membershipIndex: number;
  /** The peer that refused the node. */
  learnedFrom: NodeId;
}

function isMember(confState: ConfState, node: NodeId): boolean {
  return confState.voters.includes(node) || confState.learners.includes(node);
}

/** The removal a peer's refusal proves, or null when it proves none (see the head comment). */
export function removalShownByRefusal(
  self: NodeId,
  appliedIndex: number,
  appliedConf: ConfState,
  refusal: PeerRefusal,
): NodeRemoval | null {
  if (!isMember(appliedConf, self) || refusal.membershipIndex <= appliedIndex) return null;
  return { node: self, membershipIndex: refusal.membershipIndex, learnedFrom: refusal.from };
}

/** What clients are told (UNAVAILABLE, so a cluster client tries another member). */
export function removalClientMessage(removal: NodeRemoval): string {
  return `node ${formatNodeId(removal.node)} was removed from the group; use another member`;
}

/** The one line the node reports when it learns it (and again when it refuses to start). */
export function removalNotice(removal: NodeRemoval): string {
  const facts = `membership as of index ${removal.membershipIndex}, told by ${formatNodeId(removal.learnedFrom)}`;
  return `node ${formatNodeId(removal.node)} was removed from the group (${facts})`;
}
