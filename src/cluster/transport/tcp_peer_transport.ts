/**
 * The peer transport on TCP (Bun.listen / Bun.connect). Each node dials one connection to
 * each peer and sends on it only (outbound_peer.ts); it listens for the connections its peers
 * dial and receives on those (inbound_connection.ts). One-way connections need no tie-break
 * between two nodes dialing each other at once, and a restart of either side just redials.
 * Wire format: schemas/filestore.fbs (PeerHello, PeerMessage); contract: types.ts.
 */
import type { Socket, TCPSocketListener } from "bun";
import * as flatbuffers from "flatbuffers";
import { formatHostPort, parseHostPort } from "../../config/address.ts";
import { assert, fail } from "../../util/assert.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { InboundConnection } from "./inbound_connection.ts";
import { OutboundPeer } from "./outbound_peer.ts";
import { encodeHelloFrame, encodeRefusalFrame } from "./peer_codec.ts";
import { PeerCounters } from "./peer_stats.ts";
import { helloTimeoutMs, inboundConnectionsMax, resolvePeerTransportLimits } from "./transport_limits.ts";
import type {
  PeerAddresses,
  PeerDialer,
  PeerRefusal,
  PeerRejections,
  PeerTransportLimits,
  PeerTransportStats,
  TcpPeerTransport,
  TcpPeerTransportOptions,
} from "./types.ts";
import { silentLogger, type Logger } from "../../util/logger.ts";
import { RepeatedEventLog, type Schedule } from "../../util/repeated_event_log.ts";

/** Bytes the encoder starts with; it grows for large appends and snapshot chunks. */
const encoderBytesInitial = 64 * 1024;

export async function startTcpPeerTransport(options: TcpPeerTransportOptions): Promise<TcpPeerTransport> {
  assert(Number.isSafeInteger(options.nodeId) && options.nodeId > 0, "node ids are positive integers");
  assert(options.clusterId.length > 0, "a cluster id is required");
  return new BunTcpPeerTransport(options, resolvePeerTransportLimits(options.limits));
}

type InboundSocket = Socket<InboundConnection | undefined>;

/** The reasons of refused peer input, as the log writes them. */
const refusalReasons: Record<keyof PeerRejections, string> = {
  unknownNode: "hello from a node that is not a member",
  wrongClusterId: "hello from a node of another cluster",
  clientProtocol: "a client request on the peer port",
  malformedFrame: "malformed frame",
  misaddressed: "message addressed to another node",
};

class BunTcpPeerTransport implements TcpPeerTransport {
  readonly nodeId: NodeId;
  readonly listenAddress: { host: string; port: number };
  private readonly clusterId: string;
  private readonly counters = new PeerCounters();
  private readonly builder = new flatbuffers.Builder(encoderBytesInitial);
  private readonly helloFrame: Uint8Array;
  private readonly listener: TCPSocketListener<InboundConnection | undefined>;
  private readonly outbound = new Map<NodeId, OutboundPeer>();
  private readonly inbound = new Set<InboundConnection>();
  private peers = new Map<NodeId, string>();
  private handler: (message: Message) => void = () => {};
  private refusedHandler: (refusal: PeerRefusal) => void = () => {};
  /** See PeerTransport.setPeers; undefined: non-members are refused without being told. */
  private membershipIndex: number | undefined = undefined;
  private flushScheduled = false;
  private closed = false;
  private readonly dial: PeerDialer;
  private readonly logger: Logger;
  private readonly logSchedule: Schedule | undefined;
  /** Refused inbound connections and frames, by reason, at most one line a second each. */
  private readonly refusals = new Map<keyof PeerRejections, RepeatedEventLog>();

  constructor(options: TcpPeerTransportOptions, private readonly limits: PeerTransportLimits) {
    this.nodeId = options.nodeId;
    this.logger = options.logger ?? silentLogger;
    this.logSchedule = options.logSchedule;
    this.dial = options.dial ?? Bun.connect;
    this.clusterId = options.clusterId;
    this.helloFrame = encodeHelloFrame(this.builder, options.clusterId, options.nodeId).slice();
    this.listener = Bun.listen<InboundConnection | undefined>({
      hostname: options.listen.host,
      port: options.listen.port,
      socket: {
        open: (socket) => this.onInboundOpen(socket),
        data: (socket, chunk) => socket.data?.onData(chunk),
        close: (socket) => this.onInboundClosed(socket),
        error: (socket) => this.onInboundClosed(socket),
      },
    });
    this.listenAddress = { host: options.listen.host, port: this.listener.port };
    this.setPeers(options.peers);
  }

  send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.from !== this.nodeId) fail(`message from ${message.from} sent by node ${this.nodeId}`);
      const peer = this.closed ? undefined : this.outbound.get(message.to);
      if (peer === undefined) this.counters.messagesDroppedUnknownPeer++;
      else if (!peer.enqueue(message)) this.counters.messagesDroppedQueueFull++;
    }
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushQueued);
  }

  onMessage(handler: (message: Message) => void): void {
    this.handler = handler;
  }

  onRefused(handler: (refusal: PeerRefusal) => void): void {
    this.refusedHandler = handler;
  }

  setPeers(peers: PeerAddresses, membershipIndex?: number): void {
    if (this.closed) return;
    this.peers = new Map([...peers].filter(([node]) => node !== this.nodeId));
    this.membershipIndex = membershipIndex;
    for (const [node, peer] of this.outbound) {
      if (this.peers.get(node) === formatHostPort(peer.address)) continue;
      peer.close();
      this.outbound.delete(node);
    }
    for (const [node, address] of this.peers) {
      if (this.outbound.has(node)) continue;
      // Addresses come from validated configuration or a validated membership change.
      const parsed = parseHostPort(address);
      if (typeof parsed === "string") fail(`peer ${node} address: ${parsed}`);
      const context = {
        limits: this.limits,
        counters: this.counters,
        builder: this.builder,
        helloFrame: this.helloFrame,
        dial: this.dial,
        logger: this.logger,
        logSchedule: this.logSchedule,
        ownNodeId: this.nodeId,
        onRefused: (refusal: PeerRefusal) => this.refusedHandler(refusal),
      };
      const peer = new OutboundPeer(node, parsed, context);
      this.outbound.set(node, peer);
      // Dialed at once, not at the first message: a node that just restarted sends nothing
      // until its election timeout, and its hello is what tells the leader to redial it.
      peer.dialNow();
    }
    for (const connection of this.inbound) {
      if (connection.peerNode !== null && !this.peers.has(connection.peerNode)) connection.closeAsNonMember();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.outbound.values()) peer.close();
    this.outbound.clear();
    for (const connection of this.inbound) connection.close();
    this.inbound.clear();
    this.listener.stop(true);
    for (const refusals of this.refusals.values()) refusals.close();
  }

  stats(): PeerTransportStats {
    const queued: Record<string, number> = {};
    for (const [node, peer] of this.outbound) queued[String(node)] = peer.queuedMessages();
    return this.counters.snapshot(queued);
  }

  /** Made once: a flush is queued for nearly every Ready. */
  private readonly flushQueued = (): void => this.flush();

  private flush(): void {
    this.flushScheduled = false;
    for (const peer of this.outbound.values()) peer.flush();
  }

  private onInboundOpen(socket: InboundSocket): void {
    if (this.closed || this.inbound.size >= inboundConnectionsMax) {
      socket.terminate();
      return;
    }
    const connection = new InboundConnection(socket, {
      nodeId: this.nodeId,
      clusterId: this.clusterId,
      frameSizeBytesMax: this.limits.frameSizeBytesMax,
      isPeer: (node) => this.peers.has(node),
      reject: (reason) => this.refused(reason),
      deliver: (message) => this.deliver(message),
      greeted: (node) => this.outbound.get(node)?.dialNow(),
      refusalFor: (node) => this.refusalFor(node),
    });
    socket.data = connection;
    this.inbound.add(connection);
    // A connection that never says hello would hold a slot for good.
    setTimeout(() => {
      if (connection.peerNode === null) connection.close();
    }, helloTimeoutMs).unref();
  }

  private refused(reason: keyof PeerRejections): void {
    this.counters.rejected[reason]++;
    let log = this.refusals.get(reason);
    if (log === undefined) {
      log = new RepeatedEventLog(this.logger, "warn", "peer input refused", this.logSchedule);
      this.refusals.set(reason, log);
    }
    log.note({ reason: refusalReasons[reason] });
  }

  private refusalFor(node: NodeId): Uint8Array | null {
    const index = this.membershipIndex;
    if (index === undefined || this.closed) return null;
    return encodeRefusalFrame(this.builder, node, index, `not a member of this group as of index ${index}`);
  }

  private onInboundClosed(socket: InboundSocket): void {
    if (socket.data !== undefined) this.inbound.delete(socket.data);
  }

  private deliver(message: Message): void {
    if (this.closed) return;
    this.counters.messagesReceived++;
    this.handler(message);
  }
}
