/**
 * In-process peer transport for driver tests: the nodes of one MemoryPeerNetwork reach each
 * other through it, with the TCP transport's semantics (bounded queue per node, delivery on a
 * later event-loop turn, order kept per pair, drops counted) but no sockets. Links can be cut
 * one way (`cut(from, to)`) or around a node (`isolate(node)`) and restored. A message from a
 * node not in the receiver's list is dropped and counted, and the node is told the receiver's
 * refusals for it (NodeReceiver.refusalsFor), as a TCP hello of such a node would be.
 *
 * joinNode gives a node transport (types.ts, NodeTransport) for a GroupMultiplexer of many
 * groups, node heartbeats carried in order with the messages; join gives a node of one group
 * (group 0, member ids = node ids), as startTcpPeerTransport.
 *
 * A network made with `encodeFrames` also carries each message as the TCP transport does, in
 * its peer frame (peer_codec.ts): a frame over frameSizeBytesMax is dropped and counted, and the
 * receiver gets the message decoded from the frame, so tests see what the wire would do to it.
 */
import * as flatbuffers from "flatbuffers";
import { assert, fail } from "../../util/assert.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { GroupMultiplexer, nodeIdsAsMemberIds } from "./group_multiplexer.ts";
import { decodePeerFrame, encodeMessageFrame, encodeNodeHeartbeatFrame } from "./peer_codec.ts";
import { PeerCounters } from "./peer_stats.ts";
import { resolvePeerTransportLimits } from "./transport_limits.ts";
import {
  singleGroupId,
  type GroupId,
  type MemberRefusal,
  type NodeHeartbeat,
  type NodeReceiver,
  type NodeTransport,
  type OutboundItem,
  type OutboundMessage,
  type PeerAddresses,
  type PeerTransport,
  type PeerTransportLimits,
  type PeerTransportStats,
} from "./types.ts";

const lengthPrefixBytes = 4;

export interface MemoryPeerNetworkOptions {
  /** Carry every message through its peer frame, as TCP does (see the head comment). */
  encodeFrames?: boolean;
}

export class MemoryPeerNetwork {
  private readonly members = new Map<NodeId, MemoryNodeTransport>();
  private readonly cutLinks = new Set<string>();

  constructor(readonly options: MemoryPeerNetworkOptions = {}) {}

  /** A node of one group: a node transport for `nodeId` carrying group 0 alone; `peers` as for setPeers. */
  join(nodeId: NodeId, peers: PeerAddresses = new Map(), limits: Partial<PeerTransportLimits> = {}): PeerTransport {
    const multiplexer = new GroupMultiplexer(this.joinNode(nodeId, limits), nodeIdsAsMemberIds);
    const view = multiplexer.openAlone(singleGroupId, nodeId);
    view.setPeers(peers);
    return view;
  }

  /** A node transport for `nodeId` on this network, talking to no node until setNodes. */
  joinNode(nodeId: NodeId, limits: Partial<PeerTransportLimits> = {}): NodeTransport {
    assert(nodeId > 0, "node ids are positive");
    const existing = this.members.get(nodeId);
    if (!(existing === undefined || existing.isClosed())) fail(`node ${nodeId} already joined`);
    const transport = new MemoryNodeTransport(this, nodeId, resolvePeerTransportLimits(limits));
    this.members.set(nodeId, transport);
    return transport;
  }

  /** Messages from `from` to `to` are lost until restore(). */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkName(from, to));
  }

  restore(from: NodeId, to: NodeId): void {
    this.cutLinks.delete(linkName(from, to));
  }

  /** Cuts every link into and out of `node`. */
  isolate(node: NodeId): void {
    for (const other of this.members.keys()) {
      if (other === node) continue;
      this.cut(node, other);
      this.cut(other, node);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  /** Hands `message` of `group` to node `to` at once, as if node `from` had sent it (links and queues aside). */
  deliverNow(from: NodeId, to: NodeId, group: GroupId, message: Message): void {
    this.members.get(to)?.deliver(from, group, message);
  }

  /** @internal The live transport of `to` when the link from `from` is up. */
  reachable(from: NodeId, to: NodeId): MemoryNodeTransport | undefined {
    if (this.cutLinks.has(linkName(from, to))) return undefined;
    const target = this.members.get(to);
    return target === undefined || target.isClosed() ? undefined : target;
  }
}

function linkName(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

/** Takes nothing until a multiplexer attaches. */
const detachedReceiver: NodeReceiver = {
  message: () => "unknownGroup",
  refused: () => {},
  refusalsFor: () => [],
  heartbeat: () => {},
};

class MemoryNodeTransport implements NodeTransport {
  private nodes = new Map<NodeId, string>();
  private readonly queues = new Map<NodeId, OutboundItem[]>();
  private receiver: NodeReceiver = detachedReceiver;
  private readonly counters = new PeerCounters();
  private flushScheduled = false;
  private closed = false;
  /** Encodes frames when the network carries them (encodeFrames). */
  private readonly builder = new flatbuffers.Builder(1024);

  constructor(
    private readonly network: MemoryPeerNetwork,
    readonly nodeId: NodeId,
    private readonly limits: PeerTransportLimits,
  ) {}

  isClosed(): boolean {
    return this.closed;
  }

  send(to: NodeId, outbound: OutboundMessage): void {
    this.enqueue(to, outbound);
    this.scheduleFlush();
  }

  sendHeartbeat(to: NodeId, heartbeat: NodeHeartbeat): void {
    assert(to !== this.nodeId, "a node heartbeat to this node itself");
    this.enqueue(to, { heartbeat });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled && this.queues.size > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Queues `outbound` for `to`; a drop is counted in the node's counters, and a message's in its group's too. */
  private enqueue(to: NodeId, outbound: OutboundItem): void {
    const groupCounters = "heartbeat" in outbound ? null : outbound.counters;
    if (this.closed || to === this.nodeId || !this.nodes.has(to)) {
      this.counters.messagesDroppedUnknownPeer++;
      if (groupCounters !== null) groupCounters.messagesDroppedUnknownPeer++;
      return;
    }
    let queue = this.queues.get(to);
    if (queue === undefined) this.queues.set(to, (queue = []));
    if (queue.length >= this.limits.queuedMessagesPerPeerMax) {
      this.counters.messagesDroppedQueueFull++;
      if (groupCounters !== null) groupCounters.messagesDroppedQueueFull++;
      return;
    }
    queue.push(outbound);
  }

  private flush(): void {
    this.flushScheduled = false;
    const queues = [...this.queues];
    this.queues.clear();
    for (const [to, queue] of queues) {
      const target = this.network.reachable(this.nodeId, to);
      if (target === undefined) continue;
      for (const outbound of queue) {
        if ("heartbeat" in outbound) {
          this.counters.nodeHeartbeatsSent++;
          target.deliverHeartbeat(this.nodeId, this.carriedHeartbeat(outbound.heartbeat));
          continue;
        }
        const carried = this.network.options.encodeFrames === true ? this.throughFrame(outbound) : outbound;
        if (carried === null) continue;
        this.counters.messagesSent++;
        outbound.counters.messagesSent++;
        target.deliver(this.nodeId, carried.group, carried.message);
      }
    }
  }

  /** `outbound` as its receiver decodes it from its frame; null (dropped, counted) for a frame over the limit. */
  private throughFrame(outbound: OutboundMessage): { group: GroupId; message: Message } | null {
    const frame = encodeMessageFrame(this.builder, outbound.group, outbound.message);
    if (frame.length - lengthPrefixBytes > this.limits.frameSizeBytesMax) {
      this.counters.messagesDroppedTooLarge++;
      outbound.counters.messagesDroppedTooLarge++;
      return null;
    }
    const decoded = decodePeerFrame(frame.subarray(lengthPrefixBytes));
    assert(decoded.kind === "message", "a message frame decodes to a message");
    return decoded;
  }

  /** `heartbeat` as its receiver gets it: decoded from its frame when the network carries frames. */
  private carriedHeartbeat(heartbeat: NodeHeartbeat): NodeHeartbeat {
    if (this.network.options.encodeFrames !== true) return heartbeat;
    const decoded = decodePeerFrame(encodeNodeHeartbeatFrame(this.builder, heartbeat).subarray(lengthPrefixBytes));
    assert(decoded.kind === "nodeHeartbeat", "a node heartbeat frame decodes to a node heartbeat");
    return decoded.heartbeat;
  }

  /** @internal Called by the network on the sender's flush; one from a node not listed is dropped as a message is. */
  deliverHeartbeat(from: NodeId, heartbeat: NodeHeartbeat): void {
    if (this.closed) return;
    if (!this.nodes.has(from)) {
      this.counters.rejected.unknownNode++;
      return;
    }
    this.counters.nodeHeartbeatsReceived++;
    this.receiver.heartbeat(from, heartbeat);
  }

  /** @internal Called by the network on the sender's flush. */
  deliver(from: NodeId, group: GroupId, message: Message): void {
    if (this.closed) return;
    if (!this.nodes.has(from)) {
      this.counters.rejected.unknownNode++;
      for (const refusal of this.receiver.refusalsFor(from)) this.refuse(from, refusal);
      return;
    }
    const rejection = this.receiver.message(from, group, message);
    if (rejection === null) this.counters.messagesReceived++;
    else this.counters.rejected[rejection]++;
  }

  /** The refusal reaches `to` on a later turn, as a frame written back would, if the link back is up. */
  refuse(to: NodeId, refusal: MemberRefusal): void {
    if (this.closed) return;
    setImmediate(() => this.network.reachable(this.nodeId, to)?.refusedBy(this.nodeId, refusal));
  }

  /** @internal Called by the network: node `from` refused a replica of this node. */
  refusedBy(from: NodeId, refusal: MemberRefusal): void {
    if (!this.closed) this.receiver.refused(from, refusal);
  }

  attach(receiver: NodeReceiver): void {
    this.receiver = receiver;
  }

  setNodes(nodes: PeerAddresses): void {
    this.nodes = new Map([...nodes].filter(([node]) => node !== this.nodeId));
    for (const to of this.queues.keys()) if (!this.nodes.has(to)) this.queues.delete(to);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queues.clear();
  }

  stats(): PeerTransportStats {
    const queued: Record<string, number> = {};
    for (const [to, queue] of this.queues) queued[String(to)] = queue.length;
    return this.counters.snapshot(queued);
  }
}
