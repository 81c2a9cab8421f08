/**
 * Contracts of the peer transport, in two layers:
 * - PeerTransport: how one group's Raft messages travel between its members, what a replica
 *   driver uses. Member ids are the group's (docs/glossary.md: replica id). A GroupMultiplexer
 *   (group_multiplexer.ts) hands each group of a node such a view.
 * - NodeTransport: one connection per pair of nodes carrying every group's messages, tagged
 *   with their group (schemas/filestore.fbs PeerMessage.group); the multiplexer is its one user.
 * Best effort by design, since Raft tolerates loss, duplication and reordering across
 * connections: send() never blocks and never throws for the world's failures; a message that
 * cannot go (peer unknown or unreachable, queue full) is dropped and counted.
 *
 * A node transport also carries node heartbeats (NodeHeartbeat: node liveness, once per node pair
 * and heartbeat interval, src/cluster/health/node_liveness.ts), in order with the messages to the
 * same node, so a node heard alive has delivered every message it sent before.
 *
 * Two node transports pass one conformance suite (test/cluster/transport/), through a group's view:
 * - startTcpNodeTransport (tcp_peer_transport.ts): one outbound TCP connection per node with
 *   reconnect and backoff, a bounded queue per node, the messages of one event-loop turn (every
 *   group's) in one write; frames are u32 length + FlatBuffers Envelope with a PeerHello /
 *   PeerMessage body (schemas/filestore.fbs), verified fail-closed before decoding.
 * - MemoryPeerNetwork (memory_peer_transport.ts): in-process delivery on a later turn, with
 *   the same bounds, and links that tests can cut and restore.
 * startTcpPeerTransport and MemoryPeerNetwork.join give a node of one group (group 0, member
 * ids = node ids): a node transport with one view.
 *
 * Messages are delivered in send order per (sender, receiver) pair while a connection lasts.
 * Entries of an append message arrive with their data as views over the received frame
 * (which is never reused), so the receiver may keep them.
 */
import type { Socket, TCPSocketConnectOptions } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import type { Logger } from "../../util/logger.ts";
import type { Schedule } from "../../util/repeated_event_log.ts";
import type { JoinAnswer, JoinRequest } from "./join_codec.ts";
import type { PeerCounters } from "./peer_stats.ts";

/**
 * Peer addresses, "host:port" each, by member id (a group's view) or by node id (a node
 * transport); this node's own entry is allowed and ignored.
 */
export type PeerAddresses = ReadonlyMap<NodeId, string>;

/** A Raft group's id: a u32, as in the peer protocol and the shared log (docs/glossary.md). */
export type GroupId = number;

/** The group of a node started without shards (`serve --peers`): its member ids are node ids. */
export const singleGroupId: GroupId = 0;

/** One group's view of the peer transport (the node's own member id in `nodeId`). */
export interface PeerTransport {
  /** This node's member id in the group. */
  readonly nodeId: NodeId;
  /** Queues each message for its `to` node; returns at once. */
  send(messages: readonly Message[]): void;
  /**
   * The one handler of received messages (a later call replaces it). Messages are already
   * checked: `to` is this node's member, `from` a peer member running on the node that sent it.
   */
  onMessage(handler: (message: Message) => void): void;
  /**
   * Replaces the peer list: connections to removed peers close; inbound ones from unknown nodes
   * are refused. With `membershipIndex` (this node's applied index, at which its membership is
   * exactly the listed peers and itself), a refused node is also told it is not a member as of
   * that index (a PeerRefusal), so a node removed while cut off learns it; without, it is not told.
   */
  setPeers(peers: PeerAddresses, membershipIndex?: number): void;
  /** The one handler of refusals from peers this node dialed (a later call replaces it). */
  onRefused(handler: (refusal: PeerRefusal) => void): void;
  /** Closes every connection and the listener; queued messages are dropped. */
  close(): Promise<void>;
  stats(): PeerTransportStats;
}

/** A peer said this node's replica is not a member of its group (schemas/filestore.fbs PeerRefusal). */
export interface PeerRefusal {
  /** The member that refused. */
  from: NodeId;
  /** Its applied index; its membership as of that index does not list this node. */
  membershipIndex: number;
  reason: string;
}

export interface PeerTransportStats {
  messagesSent: number;
  messagesReceived: number;
  /** Dropped because the peer's outbound queue was full. */
  messagesDroppedQueueFull: number;
  /** Dropped because `to` is not in the peer list (or is this node). */
  messagesDroppedUnknownPeer: number;
  /** Dropped because its frame would exceed frameSizeBytesMax (the peer would refuse it). */
  messagesDroppedTooLarge: number;
  /** Node heartbeats (node liveness) written and taken: the node's, not counted as messages. */
  nodeHeartbeatsSent: number;
  nodeHeartbeatsReceived: number;
  /** Outbound queue lengths now, by peer. */
  queuedMessagesByPeer: Record<string, number>;
  /** Outbound connections established (first connect and every reconnect). */
  connectionsOpened: number;
  /** Inbound connections or frames refused, by reason. */
  rejected: PeerRejections;
}

export interface PeerRejections {
  /** The first frame named a node not in the peer list. */
  unknownNode: number;
  wrongClusterId: number;
  /** A FileStore client request (or any non-peer body) on the peer port. */
  clientProtocol: number;
  /** A frame that failed verification, was too large, or ended mid-frame. */
  malformedFrame: number;
  /** A message whose `to` is not this node's member of its group, or whose `from` does not run on the hello's node. */
  misaddressed: number;
  /** A hello of another peer protocol version (answered with a PeerRefusal saying so). */
  protocolVersion: number;
  /** A message of a group this node holds no replica of (dropped; the connection carries on). */
  unknownGroup: number;
  /** A message from a replica that is not a member of its group (answered with a PeerRefusal when membership is known). */
  notMember: number;
}

/** Why a node transport's receiver refused one message; the connection carries on. */
export type GroupRejection = "misaddressed" | "unknownGroup" | "notMember";

/** A group's refusal of a member, as the wire carries it (PeerRefusal of kind NotMember). */
export interface MemberRefusal {
  group: GroupId;
  /** The refused member: the refused node's replica in the group. */
  member: NodeId;
  /** The refusing member. */
  refusedBy: NodeId;
  /** Its applied index; its membership as of that index does not list `member`. */
  membershipIndex: number;
  reason: string;
}

/** One group's message waiting for its node's connection, with the counters of its group's view. */
export interface OutboundMessage {
  group: GroupId;
  message: Message;
  /** Its group's: a message sent or dropped counts there as well as in the node's. */
  counters: PeerCounters;
}

/** Node liveness: the sending node is up (schemas/filestore.fbs NodeHeartbeat). */
export interface NodeHeartbeat {
  /** Its shared Raft log has had a write outstanding for longer than an election timeout. */
  diskStalled: boolean;
}

/** What waits for a node's connection: a group's message, or a node heartbeat (kept in order with them). */
export type OutboundItem = OutboundMessage | { heartbeat: NodeHeartbeat };

/**
 * One connection per pair of nodes carrying every group's messages (see the head comment). It
 * knows nodes, not members: which group a message is for, and whether its sender may send it,
 * is its receiver's business (group_multiplexer.ts).
 */
export interface NodeTransport {
  readonly nodeId: NodeId;
  /** Queues a message for node `to`; returns at once (a drop is counted in its counters and the node's). */
  send(to: NodeId, outbound: OutboundMessage): void;
  /**
   * Replaces the nodes this node dials and accepts hellos from: connections to removed ones
   * close, an inbound one from a node no longer listed is told the receiver's refusalsFor it.
   */
  setNodes(nodes: PeerAddresses): void;
  /** Queues a node heartbeat for node `to`, behind the messages queued for it; a drop is counted as a message's. */
  sendHeartbeat(to: NodeId, heartbeat: NodeHeartbeat): void;
  /** Writes `refusal` back to node `to` on the connection it dialed in, when there is one. */
  refuse(to: NodeId, refusal: MemberRefusal): void;
  /** The one receiver of what arrives (a later call replaces it). */
  attach(receiver: NodeReceiver): void;
  close(): Promise<void>;
  stats(): PeerTransportStats;
}

/** What a node transport hands on (group_multiplexer.ts). */
export interface NodeReceiver {
  /**
   * A message of `group` from node `from` (the node its connection's hello named, already
   * checked to be one this node talks to). Null: taken; otherwise why it was refused (counted and
   * logged by the transport; the connection carries on).
   */
  message(from: NodeId, group: GroupId, message: Message): GroupRejection | null;
  /** Node `from` wrote back that this node's replica of a group is not a member of it. */
  refused(from: NodeId, refusal: MemberRefusal): void;
  /** A node heartbeat from node `from` (already checked to be one this node talks to). */
  heartbeat(from: NodeId, heartbeat: NodeHeartbeat): void;
  /**
   * What to tell `node`, which this node does not (or no longer) talk to, before its connection
   * closes: that its replica of a group is not a member, for each group where that is known.
   */
  refusalsFor(node: NodeId): MemberRefusal[];
}

export interface TcpPeerTransportOptions {
  nodeId: NodeId;
  /** Every node of a cluster uses the same id; a node of another cluster is refused at handshake. */
  clusterId: string;
  /** Where peers connect; port 0 picks a free port (see TcpPeerTransport.listenAddress). */
  listen: { host: string; port: number };
  /** Peers' addresses by node id (by member id for a single group's transport: the same ids). */
  peers: PeerAddresses;
  /** Overrides of the bounds in transport_limits.ts (tests use small ones). */
  limits?: Partial<PeerTransportLimits>;
  /** Opens outbound connections; Bun.connect unless a test stands in for it. */
  dial?: PeerDialer;
  /** Where peer connections lost and regained, and refused peer input, are logged; silent when absent. */
  logger?: Logger;
  /** When held-back repeated lines are written (repeated_event_log.ts); tests pass one they drive. */
  logSchedule?: Schedule;
}

/** Opens a TCP connection, as Bun.connect does. */
export type PeerDialer = (options: TCPSocketConnectOptions<undefined>) => Promise<Socket<undefined>>;

export interface PeerTransportLimits {
  /** Messages waiting per peer before new ones are dropped. */
  queuedMessagesPerPeerMax: number;
  /** Largest frame accepted or sent, in bytes. */
  frameSizeBytesMax: number;
  /** First reconnect delay after a failed connect, doubled up to reconnectDelayMsMax. */
  reconnectDelayMsMin: number;
  reconnectDelayMsMax: number;
  /** A connect attempt not open after this long is abandoned and counts as failed. */
  connectTimeoutMs: number;
}

/** The TCP transport also tells where it listens (the real port when asked for port 0). */
export interface TcpPeerTransport extends PeerTransport {
  readonly listenAddress: { host: string; port: number };
}

/** The TCP node transport, with where it listens. */
export interface TcpNodeTransport extends NodeTransport {
  readonly listenAddress: { host: string; port: number };
  /**
   * The one decider of join requests (join conversations, inbound_connection.ts); a later call
   * replaces it. Until one is given, every join request is refused as NOT_SHARDED.
   */
  acceptJoins(handler: JoinHandler): void;
}

/** Decides one join request (a member of a sharded cluster: src/cluster/node/join_handler.ts). */
export type JoinHandler = (request: JoinRequest) => Promise<JoinAnswer>;
