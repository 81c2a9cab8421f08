/**
 * Contract of the peer transport: how Raft messages travel between the nodes of a group.
 * Best effort by design, since Raft tolerates loss, duplication and reordering across
 * connections: send() never blocks and never throws for the world's failures; a message that
 * cannot go (peer unknown or unreachable, queue full) is dropped and counted.
 *
 * Two implementations pass one conformance suite (test/cluster/transport/):
 * - startTcpPeerTransport (tcp_peer_transport.ts): one outbound TCP connection per peer with
 *   reconnect and backoff, a bounded queue per peer, the messages of one event-loop turn in one
 *   write; frames are u32 length + FlatBuffers Envelope with a PeerHello / PeerMessage body
 *   (schemas/filestore.fbs), verified fail-closed before decoding.
 * - MemoryPeerNetwork (memory_peer_transport.ts): in-process delivery on a later turn, with
 *   the same bounds, and links that tests can cut and restore.
 *
 * Messages are delivered in send order per (sender, receiver) pair while a connection lasts.
 * Entries of an append message arrive with their data as views over the received frame
 * (which is never reused), so the receiver may keep them.
 */
import type { Socket, TCPSocketConnectOptions } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import type { Logger } from "../../util/logger.ts";
import type { Schedule } from "../../util/repeated_event_log.ts";

/** Peer addresses by node id, "host:port" each; this node's own entry is allowed and ignored. */
export type PeerAddresses = ReadonlyMap<NodeId, string>;

export interface PeerTransport {
  readonly nodeId: NodeId;
  /** Queues each message for its `to` node; returns at once. */
  send(messages: readonly Message[]): void;
  /** The one handler of received messages (a later call replaces it). Messages are already checked: `to` is this node, `from` a known peer. */
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

/** A peer said this node is not a member of its group (schemas/filestore.fbs PeerRefusal). */
export interface PeerRefusal {
  /** The node that refused. */
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
  /** A message whose `to` is not this node, or whose `from` differs from the handshake. */
  misaddressed: number;
}

export interface TcpPeerTransportOptions {
  nodeId: NodeId;
  /** Every node of a cluster uses the same id; a node of another cluster is refused at handshake. */
  clusterId: string;
  /** Where peers connect; port 0 picks a free port (see TcpPeerTransport.listenAddress). */
  listen: { host: string; port: number };
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
