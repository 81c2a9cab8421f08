/**
 * The node transport on TCP (Bun.listen / Bun.connect): one connection per pair of nodes and
 * direction, carrying every group's messages. Each node dials one connection to each node it
 * talks to and sends on it only (outbound_peer.ts); it listens for the connections its peers
 * dial and receives on those (inbound_connection.ts). One-way connections need no tie-break
 * between two nodes dialing each other at once, and a restart of either side just redials.
 * Which nodes it talks to is the union of what its groups need (group_multiplexer.ts), so a node
 * is dialed once, whatever the number of groups the two share.
 * It also answers join requests (a join conversation, inbound_connection.ts) with the handler a
 * sharded node gives it (acceptJoins), checking the protocol version and cluster id first.
 * Wire format: schemas/filestore.fbs (PeerHello, PeerMessage, PeerRefusal, JoinRequest,
 * JoinAnswer); contract: types.ts.
 */
import type { Socket, TCPSocketListener } from "bun";
import * as flatbuffers from "flatbuffers";
import { formatHostPort, parseHostPort } from "../../config/address.ts";
import { assert, fail } from "../../util/assert.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { GroupMultiplexer, nodeIdsAsMemberIds } from "./group_multiplexer.ts";
import { InboundConnection } from "./inbound_connection.ts";
import { OutboundPeer } from "./outbound_peer.ts";
import { encodeJoinAnswerFrame, joinAnswerText, type JoinAnswer, type JoinRequest } from "./join_codec.ts";
import { encodeHelloFrame, encodeRefusalFrame, encodeVersionRefusalFrame, peerProtocolVersion } from "./peer_codec.ts";
import { PeerCounters } from "./peer_stats.ts";
import {
  helloTimeoutMs, inboundConnectionsMax, joinAnswerTimeoutMs, resolvePeerTransportLimits,
} from "./transport_limits.ts";
import {
  singleGroupId,
  type GroupId,
  type GroupRejection,
  type JoinHandler,
  type MemberRefusal,
  type NodeHeartbeat,
  type NodeReceiver,
  type OutboundMessage,
  type PeerAddresses,
  type PeerDialer,
  type PeerRejections,
  type PeerTransportLimits,
  type PeerTransportStats,
  type TcpNodeTransport,
  type TcpPeerTransport,
  type TcpPeerTransportOptions,
} from "./types.ts";
import { errorText, silentLogger, type LogFields, type Logger } from "../../util/logger.ts";
import { RepeatedEventLog, type Schedule } from "../../util/repeated_event_log.ts";

/** Bytes the encoder starts with; it grows for large appends and snapshot chunks. */
const encoderBytesInitial = 64 * 1024;

/** The node transport on TCP; `options.peers` are the nodes it talks to at first, by node id. */
export async function startTcpNodeTransport(options: TcpPeerTransportOptions): Promise<TcpNodeTransport> {
  assert(Number.isSafeInteger(options.nodeId) && options.nodeId > 0, "node ids are positive integers");
  assert(options.clusterId.length > 0, "a cluster id is required");
  return new BunTcpNodeTransport(options, resolvePeerTransportLimits(options.limits));
}

/**
 * A node of one group on TCP (`serve --peers`): a node transport carrying group 0 alone, whose
 * member ids are the node ids. Closing it closes the node transport.
 */
export async function startTcpPeerTransport(options: TcpPeerTransportOptions): Promise<TcpPeerTransport> {
  const node = await startTcpNodeTransport({ ...options, peers: new Map() });
  const view = new GroupMultiplexer(node, nodeIdsAsMemberIds).openAlone(singleGroupId, options.nodeId);
  view.setPeers(options.peers);
  return Object.assign(view, { listenAddress: node.listenAddress });
}

type InboundSocket = Socket<InboundConnection | undefined>;

/** The reasons of refused peer input, as the log writes them. */
const refusalReasons: Record<keyof PeerRejections, string> = {
  unknownNode: "hello from a node that is not a member",
  wrongClusterId: "hello from a node of another cluster",
  clientProtocol: "a client request on the peer port",
  malformedFrame: "malformed frame",
  misaddressed: "message addressed to another replica, or from a replica not on the sending node",
  protocolVersion: "hello of another peer protocol version",
  unknownGroup: "message of a group this node holds no replica of",
  notMember: "message from a replica that is not a member of its group",
};

function versionRefusalReason(version: number): string {
  return `peer protocol version ${version} refused: this node speaks version ${peerProtocolVersion}`;
}

/** Takes nothing: what arrives before the multiplexer attaches is refused as of an unknown group. */
const detachedReceiver: NodeReceiver = {
  message: () => "unknownGroup",
  refused: () => {},
  refusalsFor: () => [],
  heartbeat: () => {},
};

class BunTcpNodeTransport implements TcpNodeTransport {
  readonly nodeId: NodeId;
  readonly listenAddress: { host: string; port: number };
  private readonly clusterId: string;
  private readonly counters = new PeerCounters();
  private readonly builder = new flatbuffers.Builder(encoderBytesInitial);
  private readonly helloFrame: Uint8Array;
  private readonly listener: TCPSocketListener<InboundConnection | undefined>;
  private readonly outbound = new Map<NodeId, OutboundPeer>();
  private readonly inbound = new Set<InboundConnection>();
  private nodes = new Map<NodeId, string>();
  private receiver: NodeReceiver = detachedReceiver;
  private joinHandler: JoinHandler | null = null;
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
        drain: (socket) => socket.data?.onDrain(),
        close: (socket) => this.onInboundClosed(socket),
        error: (socket) => this.onInboundClosed(socket),
      },
    });
    this.listenAddress = { host: options.listen.host, port: this.listener.port };
    this.setNodes(options.peers);
  }

  send(to: NodeId, outbound: OutboundMessage): void {
    const message = outbound.message;
    assert(to !== this.nodeId, `group ${outbound.group}: message ${message.from} -> ${message.to} to this node itself`);
    const peer = this.closed ? undefined : this.outbound.get(to);
    if (peer === undefined) {
      this.counters.messagesDroppedUnknownPeer++;
      outbound.counters.messagesDroppedUnknownPeer++;
    } else if (!peer.enqueue(outbound)) {
      this.counters.messagesDroppedQueueFull++;
      outbound.counters.messagesDroppedQueueFull++;
    }
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushQueued);
  }

  sendHeartbeat(to: NodeId, heartbeat: NodeHeartbeat): void {
    assert(to !== this.nodeId, "a node heartbeat to this node itself");
    const peer = this.closed ? undefined : this.outbound.get(to);
    if (peer === undefined) this.counters.messagesDroppedUnknownPeer++;
    else if (!peer.enqueue({ heartbeat })) this.counters.messagesDroppedQueueFull++;
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushQueued);
  }

  attach(receiver: NodeReceiver): void {
    this.receiver = receiver;
  }

  acceptJoins(handler: JoinHandler): void {
    this.joinHandler = handler;
  }

  setNodes(nodes: PeerAddresses): void {
    if (this.closed) return;
    this.nodes = new Map([...nodes].filter(([node]) => node !== this.nodeId));
    for (const [node, peer] of this.outbound) {
      if (this.nodes.get(node) === formatHostPort(peer.address)) continue;
      peer.close();
      this.outbound.delete(node);
    }
    for (const [node, address] of this.nodes) {
      if (!this.outbound.has(node)) this.addOutbound(node, address);
    }
    for (const connection of this.inbound) {
      if (connection.peerNode !== null && !this.nodes.has(connection.peerNode)) connection.closeAsNonMember();
    }
  }

  refuse(to: NodeId, refusal: MemberRefusal): void {
    if (this.closed) return;
    let frame: Uint8Array | null = null;
    for (const connection of this.inbound) {
      if (connection.peerNode !== to) continue;
      frame ??= encodeRefusalFrame(this.builder, to, refusal);
      connection.writeBack(frame);
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

  private addOutbound(node: NodeId, address: string): void {
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
      onRefused: (from: NodeId, refusal: MemberRefusal) => this.receiver.refused(from, refusal),
    };
    const peer = new OutboundPeer(node, parsed, context);
    this.outbound.set(node, peer);
    // Dialed at once, not at the first message: a node that just restarted sends nothing
    // until its election timeout, and its hello is what tells the leader to redial it.
    peer.dialNow();
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
      isPeer: (node) => this.nodes.has(node),
      reject: (reason, fields) => this.refused(reason, fields),
      deliver: (from, group, message) => this.deliver(from, group, message),
      heartbeat: (from, heartbeat) => this.deliverHeartbeat(from, heartbeat),
      greeted: (node) => this.outbound.get(node)?.dialNow(),
      refusalFramesFor: (node) => this.refusalFramesFor(node),
      versionRefusalFrame: (node, version) => (
        encodeVersionRefusalFrame(this.builder, node, versionRefusalReason(version))),
      join: async (request) => encodeJoinAnswerFrame(this.builder, await this.answerJoin(request)),
    });
    socket.data = connection;
    this.inbound.add(connection);
    // A connection that never says hello would hold a slot for good. A join conversation closes
    // itself once answered, within joinAnswerTimeoutMs.
    setTimeout(() => {
      if (!connection.introduced) connection.close();
    }, helloTimeoutMs).unref();
  }

  /** The answer to a join request: the transport's checks, then the handler's decision within joinAnswerTimeoutMs. */
  private async answerJoin(request: JoinRequest): Promise<JoinAnswer> {
    const answer = await this.decideJoin(request);
    const fields = { node: request.name, peer: request.peerAddress, answer: joinAnswerText(answer) };
    this.logger.info("join request answered", fields);
    return answer;
  }

  private async decideJoin(request: JoinRequest): Promise<JoinAnswer> {
    if (request.protocolVersion !== peerProtocolVersion) {
      return { kind: "refused", code: "PROTOCOL_VERSION", reason: versionRefusalReason(request.protocolVersion) };
    }
    if (request.clusterId !== this.clusterId) {
      const reason = `this node belongs to cluster "${this.clusterId}", not "${request.clusterId}"`;
      return { kind: "refused", code: "CLUSTER_MISMATCH", reason };
    }
    const handler = this.joinHandler;
    if (handler === null || this.closed) {
      const reason = "this node is no member of a sharded cluster (one group's nodes are added with cluster add-node)";
      return { kind: "refused", code: "NOT_SHARDED", reason };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<JoinAnswer>((resolve) => {
      const reason = `the coordinator did not decide within ${joinAnswerTimeoutMs} ms`;
      timer = setTimeout(() => resolve({ kind: "notReady", reason }), joinAnswerTimeoutMs);
    });
    const decided = handler(request).catch((error: unknown): JoinAnswer => {
      return { kind: "notReady", reason: errorText(error) };
    });
    try {
      return await Promise.race([decided, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private refused(reason: keyof PeerRejections, fields?: LogFields): void {
    this.counters.rejected[reason]++;
    let log = this.refusals.get(reason);
    if (log === undefined) {
      log = new RepeatedEventLog(this.logger, "warn", "peer input refused", this.logSchedule);
      this.refusals.set(reason, log);
    }
    log.note({ reason: refusalReasons[reason], ...fields });
  }

  /** The receiver's refusals for `node`, as frames one after the other; null when it has none. */
  private refusalFramesFor(node: NodeId): Uint8Array | null {
    if (this.closed) return null;
    const frames = this.receiver.refusalsFor(node).map((refusal) => encodeRefusalFrame(this.builder, node, refusal));
    if (frames.length === 0) return null;
    const joined = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
    let offset = 0;
    for (const frame of frames) {
      joined.set(frame, offset);
      offset += frame.length;
    }
    return joined;
  }

  private onInboundClosed(socket: InboundSocket): void {
    if (socket.data !== undefined) this.inbound.delete(socket.data);
  }

  private deliverHeartbeat(from: NodeId, heartbeat: NodeHeartbeat): void {
    if (this.closed) return;
    this.counters.nodeHeartbeatsReceived++;
    this.receiver.heartbeat(from, heartbeat);
  }

  private deliver(from: NodeId, group: GroupId, message: Message): GroupRejection | null {
    if (this.closed) return null;
    const rejection = this.receiver.message(from, group, message);
    if (rejection === null) this.counters.messagesReceived++;
    return rejection;
  }
}
