/**
 * In-process peer transport for driver tests: the nodes of one MemoryPeerNetwork reach each
 * other through it, with the TCP transport's semantics (bounded queue per peer, delivery on a
 * later event-loop turn, order kept per pair, drops counted) but no sockets. Links can be cut
 * one way (`cut(from, to)`) or around a node (`isolate(node)`) and restored. A message from a
 * node not in the receiver's list is dropped and, as on TCP, answered with a refusal when the
 * receiver knows its membership (setPeers with a membership index).
 *
 * A network made with `encodeFrames` also carries each message as the TCP transport does, in
 * its peer frame (peer_codec.ts): a frame over frameSizeBytesMax is dropped and counted, and the
 * receiver gets the message decoded from the frame, so tests see what the wire would do to it.
 */
import * as flatbuffers from "flatbuffers";
import { assert, fail } from "../../util/assert.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { decodePeerFrame, encodeMessageFrame } from "./peer_codec.ts";
import { PeerCounters } from "./peer_stats.ts";
import { resolvePeerTransportLimits } from "./transport_limits.ts";
import type { PeerAddresses, PeerRefusal, PeerTransport, PeerTransportLimits, PeerTransportStats } from "./types.ts";

const lengthPrefixBytes = 4;

export interface MemoryPeerNetworkOptions {
  /** Carry every message through its peer frame, as TCP does (see the head comment). */
  encodeFrames?: boolean;
}

export class MemoryPeerNetwork {
  private readonly members = new Map<NodeId, MemoryPeerTransport>();
  private readonly cutLinks = new Set<string>();

  constructor(readonly options: MemoryPeerNetworkOptions = {}) {}

  /** A transport for `nodeId` on this network; `peers` as for setPeers. */
  join(nodeId: NodeId, peers: PeerAddresses = new Map(), limits: Partial<PeerTransportLimits> = {}): MemoryPeerTransport {
    assert(nodeId > 0, "node ids are positive");
    const existing = this.members.get(nodeId);
    if (!(existing === undefined || existing.isClosed())) fail(`node ${nodeId} already joined`);
    const transport = new MemoryPeerTransport(this, nodeId, peers, resolvePeerTransportLimits(limits));
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

  /** @internal The live transport of `to` when the link from `from` is up. */
  reachable(from: NodeId, to: NodeId): MemoryPeerTransport | undefined {
    if (this.cutLinks.has(linkName(from, to))) return undefined;
    const target = this.members.get(to);
    return target === undefined || target.isClosed() ? undefined : target;
  }
}

function linkName(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

export class MemoryPeerTransport implements PeerTransport {
  private peers: Map<NodeId, string>;
  private readonly queues = new Map<NodeId, Message[]>();
  private handler: (message: Message) => void = () => {};
  private refusedHandler: (refusal: PeerRefusal) => void = () => {};
  private membershipIndex: number | undefined = undefined;
  private readonly counters = new PeerCounters();
  private flushScheduled = false;
  private closed = false;
  /** Encodes frames when the network carries them (encodeFrames). */
  private readonly builder = new flatbuffers.Builder(1024);

  constructor(
    private readonly network: MemoryPeerNetwork,
    readonly nodeId: NodeId,
    peers: PeerAddresses,
    private readonly limits: PeerTransportLimits,
  ) {
    this.peers = new Map(peers);
  }

  isClosed(): boolean {
    return this.closed;
  }

  send(messages: readonly Message[]): void {
    for (const message of messages) this.enqueue(message);
    if (!this.flushScheduled && this.queues.size > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private enqueue(message: Message): void {
    if (message.from !== this.nodeId) fail(`message from ${message.from} sent by node ${this.nodeId}`);
    if (this.closed || message.to === this.nodeId || !this.peers.has(message.to)) {
      this.counters.messagesDroppedUnknownPeer++;
      return;
    }
    let queue = this.queues.get(message.to);
    if (queue === undefined) this.queues.set(message.to, (queue = []));
    if (queue.length >= this.limits.queuedMessagesPerPeerMax) {
      this.counters.messagesDroppedQueueFull++;
      return;
    }
    queue.push(message);
  }

  private flush(): void {
    this.flushScheduled = false;
    const queues = [...this.queues];
    this.queues.clear();
    for (const [to, messages] of queues) {
      const target = this.network.reachable(this.nodeId, to);
      if (target === undefined) continue;
      for (const message of messages) {
        const carried = this.network.options.encodeFrames === true ? this.throughFrame(message) : message;
        if (carried === null) continue;
        this.counters.messagesSent++;
        target.deliver(carried);
      }
    }
  }

  /** `message` as its receiver decodes it from its frame; null (dropped, counted) for a frame over the limit. */
  private throughFrame(message: Message): Message | null {
    const frame = encodeMessageFrame(this.builder, message);
    if (frame.length - lengthPrefixBytes > this.limits.frameSizeBytesMax) {
      this.counters.messagesDroppedTooLarge++;
      return null;
    }
    const decoded = decodePeerFrame(frame.subarray(lengthPrefixBytes));
    assert(decoded.kind === "message", "a message frame decodes to a message");
    return decoded.message;
  }

  /** @internal Called by the network on the sender's flush. */
  deliver(message: Message): void {
    if (this.closed) return;
    if (!this.peers.has(message.from)) {
      this.counters.rejected.unknownNode++;
      if (this.membershipIndex !== undefined) this.tellNotMember(message.from, this.membershipIndex);
      return;
    }
    this.counters.messagesReceived++;
    this.handler(message);
  }

  onMessage(handler: (message: Message) => void): void {
    this.handler = handler;
  }

  /** The refusal reaches `node` on a later turn, as a frame written back would, if the link back is up. */
  private tellNotMember(node: NodeId, membershipIndex: number): void {
    const reason = `not a member of this group as of index ${membershipIndex}`;
    const refusal = { from: this.nodeId, membershipIndex, reason };
    setImmediate(() => this.network.reachable(this.nodeId, node)?.refused(refusal));
  }

  /** @internal Called by the network: a peer refused this node. */
  refused(refusal: PeerRefusal): void {
    if (!this.closed) this.refusedHandler(refusal);
  }

  onRefused(handler: (refusal: PeerRefusal) => void): void {
    this.refusedHandler = handler;
  }

  setPeers(peers: PeerAddresses, membershipIndex?: number): void {
    this.peers = new Map(peers);
    this.membershipIndex = membershipIndex;
    for (const to of this.queues.keys()) if (!this.peers.has(to)) this.queues.delete(to);
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
