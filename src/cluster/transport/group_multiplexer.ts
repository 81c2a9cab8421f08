/**
 * The group multiplexer: many Raft groups of one node over one node transport (types.ts,
 * NodeTransport), so that one connection per pair of nodes carries every group's messages. Each
 * group the node holds a replica of gets a view (open) with the PeerTransport contract, so an
 * unmodified replica driver runs on it.
 *
 * Member ids. A group's members are *replica ids* (docs/glossary.md): u32, unique in the cluster,
 * assigned by the coordinator and never reused, so a replica removed and added again is a new
 * member, and no vote or acknowledgement given by the old one (nor a message still addressed to
 * it) can count for the new one. A replica lives on one node for life (a move makes a new
 * replica), so where a member runs is a fact that never changes once known: the MemberLocator
 * the node runtime supplies answers it from the coordinator's shard map. The one group of a node
 * started without shards (group 0, `serve --peers`) keeps its node ids as member ids
 * (nodeIdsAsMemberIds); it has no coordinator to assign replica ids.
 *
 * Sending: a view resolves each message's `to` member to its node (located when setPeers named
 * the member) and queues it on the node transport tagged with the group; a member not in the
 * view's peers, or not located, is a drop counted as an unknown peer. The node transport writes
 * every group's messages of one event-loop turn to one node in one socket write.
 *
 * Peers: what the node transport dials and accepts is the union of every open view's peers,
 * resolved to nodes, at the address the view was given (when two views give one node different
 * addresses, the view told last wins: addresses come from one node list, so they differ only
 * while it changes). A node is dialed while any group needs it, and once per pair whatever the
 * number of groups.
 *
 * Receiving, for each message of group g from node N (the node of its connection's hello):
 * - g has no open view: dropped, counted and logged as unknownGroup (a replica being created
 *   may be sent to before it exists; a stale or hostile peer harms nobody);
 * - `to` is not this node's member of g, or `from` is a member that does not run on N:
 *   misaddressed, dropped;
 * - `from` is not among g's peers: notMember, dropped, and when the view knows its membership
 *   (setPeers with a membership index) N is told with a PeerRefusal naming g and `from`;
 * - else the view's handler gets it.
 * None of these closes the connection: it carries the other groups too.
 *
 * Node liveness (given a NodeLiveness, health/node_liveness.ts): the node heartbeats the node
 * transport receives go to it, the nodes it sends heartbeats to are the ones the transport talks
 * to, and livenessOf(group) gives a group's replica driver its view of it (members mapped to nodes
 * by the locator), which lets the group go quiet (replica/group_quiescence.ts).
 *
 * Refusals are per group (node_removal.ts): one names the group, the refused member and the
 * refusing one, and reaches the view of that group whose member it names; others are ignored. A
 * node the transport no longer talks to at all is told, when its connection closes, for each
 * group whose membership is known and where the locator knows the node's member
 * (MemberLocator.memberOn) that the member is not in it.
 */
import { assert, fail } from "../../util/assert.ts";
import type { NodeLiveness } from "../health/node_liveness.ts";
import type { Message, NodeId } from "../raft/types.ts";
import type { GroupLiveness } from "../replica/group_quiescence.ts";
// Group ids are the shared log's (a u32 there and on the wire).
import { groupIdMax } from "../wal/wal_constants.ts";
import { PeerCounters } from "./peer_stats.ts";
import type {
  GroupId, GroupRejection, MemberRefusal, NodeHeartbeat, NodeReceiver, NodeTransport, PeerAddresses, PeerRefusal,
  PeerTransport, PeerTransportStats,
} from "./types.ts";

/** Where the members of a group run; supplied by the node runtime (from the shard map). */
export interface MemberLocator {
  /** The node that runs `member` of `group`; undefined when not known (messages to it are dropped). */
  nodeOf(group: GroupId, member: NodeId): NodeId | undefined;
  /** The member of `group` that `node` runs or ran, as far as known: what a refusal to `node` names. */
  memberOn(group: GroupId, node: NodeId): NodeId | undefined;
}

/** Member ids are node ids: the one group of a node started without shards (see the head comment). */
export const nodeIdsAsMemberIds: MemberLocator = {
  nodeOf: (_group, member) => member,
  memberOn: (_group, node) => node,
};

export class GroupMultiplexer implements NodeReceiver {
  /** Open views by group, in the order they were last given peers (see the head comment). */
  private readonly views = new Map<GroupId, GroupView>();
  private closed = false;

  constructor(
    readonly transport: NodeTransport,
    private readonly locator: MemberLocator,
    /** Node liveness over this transport (see the head comment); none when absent. */
    private readonly liveness?: NodeLiveness,
  ) {
    assert(liveness === undefined || liveness.nodeId === transport.nodeId, "node liveness of this node");
    transport.attach(this);
  }

  /** The view of `group`, in which this node's replica is `member`. One view per group at a time. */
  open(group: GroupId, member: NodeId): PeerTransport {
    return this.openView(group, member, false);
  }

  /** As open, for a node transport that carries this group alone: closing the view closes the transport. */
  openAlone(group: GroupId, member: NodeId): PeerTransport {
    assert(this.views.size === 0, "a group alone on its transport is its only group");
    return this.openView(group, member, true);
  }

  /**
   * Node liveness as the open group `group` sees it, for its replica driver (ReplicaDriverOptions.liveness):
   * its members mapped to nodes by the locator, this node's own member to this node.
   */
  livenessOf(group: GroupId): GroupLiveness {
    const liveness = this.liveness;
    assert(liveness !== undefined, "a multiplexer made without node liveness");
    const view = this.views.get(group);
    assert(view !== undefined, `group ${group} is not open`);
    const ownNode = this.transport.nodeId;
    return liveness.view((member) => (member === view.nodeId ? ownNode : this.locator.nodeOf(group, member)));
  }

  /** Groups with an open view. */
  groups(): GroupId[] {
    return [...this.views.keys()].sort((left, right) => left - right);
  }

  /** Closes every view and the node transport. */
  async close(): Promise<void> {
    this.closed = true;
    for (const view of [...this.views.values()]) view.detach();
    this.views.clear();
    await this.transport.close();
  }

  message(from: NodeId, group: GroupId, message: Message): GroupRejection | null {
    const view = this.views.get(group);
    return view === undefined ? "unknownGroup" : view.receive(from, message);
  }

  refused(_from: NodeId, refusal: MemberRefusal): void {
    this.views.get(refusal.group)?.refused(refusal);
  }

  heartbeat(from: NodeId, heartbeat: NodeHeartbeat): void {
    this.liveness?.heard(from, heartbeat);
  }

  refusalsFor(node: NodeId): MemberRefusal[] {
    const refusals: MemberRefusal[] = [];
    for (const view of this.views.values()) {
      const refusal = view.refusalFor(node);
      if (refusal !== null) refusals.push(refusal);
    }
    return refusals;
  }

  /** @internal A view's peers changed: it moves to the end of the order, and the node set follows. */
  peersChanged(view: GroupView): void {
    if (this.views.get(view.group) !== view) return;
    this.views.delete(view.group);
    this.views.set(view.group, view);
    this.updateNodes();
  }

  /** @internal A view closed. */
  viewClosed(view: GroupView): void {
    if (this.views.get(view.group) !== view) return;
    this.views.delete(view.group);
    this.updateNodes();
  }

  private openView(group: GroupId, member: NodeId, alone: boolean): PeerTransport {
    assert(!this.closed, "a closed multiplexer opens no group");
    assert(Number.isInteger(group) && group >= 0 && group <= groupIdMax, `group id ${group} is not a u32`);
    // The Raft core checks the member id's range where the replica's config is made.
    assert(Number.isInteger(member) && member > 0, `member id ${member} is not a positive integer`);
    if (this.views.has(group)) fail(`group ${group} is open already`);
    const view = new GroupView(this, this.locator, group, member, alone);
    this.views.set(group, view);
    return view;
  }

  private updateNodes(): void {
    if (this.closed) return;
    const nodes = new Map<NodeId, string>();
    for (const view of this.views.values()) {
      for (const [member, node] of view.nodeOfPeer) nodes.set(node, view.peers.get(member)!);
    }
    this.transport.setNodes(nodes);
    this.liveness?.setNodes(nodes.keys());
  }
}

/** One group's PeerTransport over the multiplexer's node transport. */
class GroupView implements PeerTransport {
  /** Peer members and their addresses, this node's own member left out. */
  peers = new Map<NodeId, string>();
  /** The node of each peer member that could be located. */
  nodeOfPeer = new Map<NodeId, NodeId>();
  private membershipIndex: number | undefined = undefined;
  private handler: (message: Message) => void = () => {};
  private refusedHandler: (refusal: PeerRefusal) => void = () => {};
  private readonly counters = new PeerCounters();
  private closed = false;

  constructor(
    private readonly multiplexer: GroupMultiplexer,
    private readonly locator: MemberLocator,
    readonly group: GroupId,
    readonly nodeId: NodeId,
    private readonly alone: boolean,
  ) {}

  send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.from !== this.nodeId) fail(`group ${this.group}: from ${message.from} sent by ${this.nodeId}`);
      const node = this.closed ? undefined : this.nodeOfPeer.get(message.to);
      if (node === undefined) this.counters.messagesDroppedUnknownPeer++;
      else this.multiplexer.transport.send(node, { group: this.group, message, counters: this.counters });
    }
  }

  onMessage(handler: (message: Message) => void): void {
    this.handler = handler;
  }

  onRefused(handler: (refusal: PeerRefusal) => void): void {
    this.refusedHandler = handler;
  }

  setPeers(peers: PeerAddresses, membershipIndex?: number): void {
    if (this.closed) return;
    const ownNode = this.multiplexer.transport.nodeId;
    this.peers = new Map([...peers].filter(([member]) => member !== this.nodeId));
    this.nodeOfPeer = new Map();
    for (const member of this.peers.keys()) {
      const node = this.locator.nodeOf(this.group, member);
      if (node !== undefined && node !== ownNode) this.nodeOfPeer.set(member, node);
    }
    this.membershipIndex = membershipIndex;
    this.multiplexer.peersChanged(this);
  }

  /** Detaches the group (its replica is gone); a view opened alone closes the node transport too. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Alone, the whole node goes: no node set to update, no refusal to tell anyone.
    if (this.alone) return this.multiplexer.close();
    this.detach();
    this.multiplexer.viewClosed(this);
  }

  /** The group's own message counts; connections, queues (by node) and refused input are the node's. */
  stats(): PeerTransportStats {
    const node = this.multiplexer.transport.stats();
    const own = this.counters.snapshot(node.queuedMessagesByPeer);
    return { ...own, connectionsOpened: node.connectionsOpened, rejected: node.rejected };
  }

  /** @internal Stops sending and receiving. */
  detach(): void {
    this.closed = true;
    this.handler = () => {};
    this.refusedHandler = () => {};
  }

  /** @internal A message of this group from node `from`; see the multiplexer's head comment. */
  receive(from: NodeId, message: Message): GroupRejection | null {
    if (this.closed) return "unknownGroup";
    if (message.to !== this.nodeId) return "misaddressed";
    if (!this.peers.has(message.from)) {
      const index = this.membershipIndex;
      if (index !== undefined) this.multiplexer.transport.refuse(from, this.refusalOf(message.from, index));
      return "notMember";
    }
    if (this.nodeOfPeer.get(message.from) !== from) return "misaddressed";
    this.counters.messagesReceived++;
    this.handler(message);
    return null;
  }

  /** @internal A peer's refusal naming this group; ignored unless it names this node's member. */
  refused(refusal: MemberRefusal): void {
    if (this.closed || refusal.member !== this.nodeId) return;
    this.refusedHandler({ from: refusal.refusedBy, membershipIndex: refusal.membershipIndex, reason: refusal.reason });
  }

  /** @internal What to tell `node`, which the node transport no longer talks to; null: nothing. */
  refusalFor(node: NodeId): MemberRefusal | null {
    const index = this.membershipIndex;
    if (this.closed || index === undefined) return null;
    const member = this.locator.memberOn(this.group, node);
    if (member === undefined || member === this.nodeId || this.peers.has(member)) return null;
    return this.refusalOf(member, index);
  }

  private refusalOf(member: NodeId, membershipIndex: number): MemberRefusal {
    const reason = `not a member of this group as of index ${membershipIndex}`;
    return { group: this.group, member, refusedBy: this.nodeId, membershipIndex, reason };
  }
}
