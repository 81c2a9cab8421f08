/**
 * Which peers one group's view of the transport reaches, on a node of a sharded cluster: the
 * members of the group's newest and applied memberships (ReplicaEvents.membershipChanged), each
 * at its node's peer address from the coordinator's node list. Unlike the single group's
 * MemberAddressBook, nothing is announced in the group's own log: node addresses belong to the
 * coordinator. refresh() re-reads the addresses when the node list changes.
 *
 * A member whose address is not known yet (a node the coordinator has not heard of, or not yet
 * applied here: a restarted node replays the meta group's log after its shard replicas start) is
 * left out until a refresh finds it, and meanwhile this view refuses no one (see refresh).
 *
 * A node joining a running cluster (`serve --join`) starts its meta replica with no membership:
 * until one arrives (the leader's snapshot or log), the view reaches `untilMembership`, the
 * coordinator's voters its join answer named, so the leader among them is let in.
 */
import type { NodeId } from "../raft/types.ts";
import type { GroupMembership, ReplicaEvents } from "../replica/replica_driver.ts";
import type { PeerAddresses, PeerTransport } from "../transport/types.ts";

export class GroupPeerBook implements ReplicaEvents {
  private membership: GroupMembership | null = null;

  constructor(
    /** This node's member in the group. */
    private readonly self: NodeId,
    private readonly transport: PeerTransport,
    /** The peer address of the node running `member`, when known. */
    private readonly addressOf: (member: NodeId) => string | undefined,
    private readonly onLeader: () => void = () => {},
    /** Members reached while the membership lists nobody (a joining node's meta group). */
    private readonly untilMembership: readonly NodeId[] = [],
  ) {}

  membershipChanged(membership: GroupMembership): void {
    this.membership = membership;
    this.refresh();
  }

  becameLeader(): void {
    this.onLeader();
  }

  /** Sets the view's peers from the membership known and the addresses known now. */
  refresh(): void {
    const membership = this.membership;
    if (membership === null) return;
    const { newest, applied } = membership;
    const listed = new Set([...newest.voters, ...newest.learners, ...applied.voters, ...applied.learners]);
    const members = listed.size > 0 ? listed : new Set(this.untilMembership);
    const peers = new Map<NodeId, string>();
    let allKnown = true;
    for (const member of members) {
      if (member === this.self) continue;
      const address = this.addressOf(member);
      if (address !== undefined && address !== "") peers.set(member, address);
      else allKnown = false;
    }
    // A refusal tells a peer it was removed, for good: only given when every member is known here.
    // Until then (no membership yet, or a restarted node whose copy of the coordinator is behind)
    // messages from members not located yet are dropped, never answered with a refusal.
    const complete = listed.size > 0 && allKnown;
    this.transport.setPeers(peers as PeerAddresses, complete ? membership.appliedIndex : undefined);
  }
}
