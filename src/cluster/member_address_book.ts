/**
 * Member addresses on the key-value machine's side of a replica (the replica driver knows none):
 * - peers: the transport reaches the members of the newest and of the applied membership, at
 *   the addresses announced in the log (the machine's member table) or else given at start (all
 *   peers given at start while this node knows no membership: it is joining). Any other node is
 *   told it is not a member as of the applied index (node_removal.ts);
 * - announcement: a new leader writes its own addresses to the log, so every replica can point
 *   clients to it, and writes them again when they change (ports are known once bound).
 * Node addresses belong to the coordinator once there is one; until then the single group's log
 * carries them (entry_payload_codec.ts, member entries).
 */
import { encodeEntryPayload, type MemberAddresses } from "./entry_payload_codec.ts";
import type { KeyValueMachine, WriteOutcome } from "./key_value_machine.ts";
import type { NodeId } from "./raft/types.ts";
import type { GroupMembership, ReplicaDriver, ReplicaEvents } from "./replica/replica_driver.ts";
import type { PeerAddresses, PeerTransport } from "./transport/types.ts";

export class MemberAddressBook implements ReplicaEvents {
  private membership: GroupMembership | null = null;
  private driver: ReplicaDriver<WriteOutcome, KeyValueMachine> | null = null;
  private self: MemberAddresses;

  constructor(
    private readonly nodeId: NodeId,
    private readonly machine: KeyValueMachine,
    private readonly transport: PeerTransport,
    /** Peer addresses known from the start (--peers), by node id; this node's own is allowed. */
    private readonly startPeers: PeerAddresses,
    self: MemberAddresses,
  ) {
    this.self = { ...self };
    machine.onMembersChanged = () => this.refreshPeers();
  }

  /** The driver this book announces through, once started (its events come to this book). */
  attach(driver: ReplicaDriver<WriteOutcome, KeyValueMachine>): void {
    this.driver = driver;
  }

  membershipChanged(membership: GroupMembership): void {
    this.membership = membership;
    this.refreshPeers();
  }

  becameLeader(): void {
    this.announceSelf();
  }

  /** This node's addresses once known (ports chosen at bind time); a leader announces the change. */
  setSelf(addresses: MemberAddresses): void {
    this.self = { ...addresses };
    if (this.driver?.isLeader()) this.announceSelf();
  }

  private refreshPeers(): void {
    const membership = this.membership;
    if (membership === null) return;
    const { newest, applied } = membership;
    const members = new Set([...newest.voters, ...newest.learners, ...applied.voters, ...applied.learners]);
    const peers = new Map(members.size === 0 ? this.startPeers : []);
    for (const member of members) {
      const address = this.machine.members.get(member)?.peerAddress || this.startPeers.get(member) || "";
      if (address !== "") peers.set(member, address);
    }
    peers.delete(this.nodeId);
    this.transport.setPeers(peers, members.size === 0 ? undefined : membership.appliedIndex);
  }

  private announceSelf(): void {
    const driver = this.driver;
    if (driver === null) return;
    const known = this.machine.members.get(this.nodeId);
    const self = this.self;
    const same = known !== undefined && known.clientAddress === self.clientAddress
      && known.adminAddress === self.adminAddress && known.peerAddress === self.peerAddress;
    if (same) return;
    const data = encodeEntryPayload({ kind: "member", node: this.nodeId, addresses: self });
    // No one waits for it: a leader that loses its leadership first is announced by the next.
    driver.propose(data, Infinity).catch(() => {});
  }
}
