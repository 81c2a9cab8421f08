/**
 * Which peers one group's view of the transport reaches, on a node of a sharded cluster: the
 * members of the group's newest and applied memberships (ReplicaEvents.membershipChanged), each
 * at its node's peer address from the coordinator's node list. Unlike the single group's
 * MemberAddressBook, nothing is announced in the group's own log: node addresses belong to the
 * coordinator. refresh() re-reads the addresses when the node list changes.
 *
 * A member whose address is not known yet (a node the coordinator has not heard of, or not yet
 * applied here) is left out until a refresh finds it; `startAddresses` (the meta group's
 * --peers) fill in until then.
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
    const members = new Set([...newest.voters, ...newest.learners, ...applied.voters, ...applied.learners]);
    const peers = new Map<NodeId, string>();
    for (const member of members) {
      const address = member === this.self ? undefined : this.addressOf(member);
      if (address !== undefined && address !== "") peers.set(member, address);
    }
    // A replica that knows no membership yet (a learner waiting for its first snapshot) refuses no one.
    this.transport.setPeers(peers as PeerAddresses, members.size === 0 ? undefined : membership.appliedIndex);
  }
}
