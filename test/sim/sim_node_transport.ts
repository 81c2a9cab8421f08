/**
 * The node transport (src/cluster/transport/types.ts, NodeTransport) of a simulated node with many
 * groups: the real group multiplexer (group_multiplexer.ts) runs over it, and through it every
 * group's real driver. What the node's groups send during a step waits in an outbox (the
 * process's send buffers), each message tagged with its group and carried in its real peer
 * frame (peer_codec.ts: encoded, then decoded on arrival), until the world hands the outbox to
 * the simulated network (network.ts) at the end of the step, where it is delayed, dropped,
 * duplicated, reordered or cut by partitions per node pair. A crash loses the outbox or lets
 * it out first. Arrivals go to the multiplexer at once; what it refuses is counted by reason.
 * Refusals (NotMember) are counted, not carried: the simulated groups keep their membership.
 *
 * Planted bug (`misrouteGroups`, the simulator must catch it when members of different groups
 * share ids): arriving messages are handed to the multiplexer under another group's id.
 */
import * as flatbuffers from "flatbuffers";
import type { Message, NodeId } from "../../src/cluster/raft/types.ts";
import {
  decodePeerFrame, encodeMessageFrame, encodeNodeHeartbeatFrame,
} from "../../src/cluster/transport/peer_codec.ts";
import { PeerCounters } from "../../src/cluster/transport/peer_stats.ts";
import type {
  GroupId, MemberRefusal, NodeHeartbeat, NodeReceiver, NodeTransport, OutboundMessage, PeerAddresses,
  PeerTransportStats,
} from "../../src/cluster/transport/types.ts";
import type { SimNetwork } from "./network.ts";

/** What the simulated network carries between nodes: one peer frame. */
export interface NodePacket {
  from: NodeId;
  to: NodeId;
  /** The message's type, for the network's counts. */
  type: string;
  frame: Uint8Array;
}

/** The u32 length before each peer frame (peer_codec.ts). */
const lengthPrefixBytes = 4;

export class SimNodeTransport implements NodeTransport {
  private outbox: NodePacket[] = [];
  private receiver: NodeReceiver | null = null;
  private nodes = new Set<NodeId>();
  private closed = false;
  private readonly counters = new PeerCounters();
  private readonly builder = new flatbuffers.Builder(1024);
  /** Refusals the multiplexer wrote back (never carried: see the head comment). */
  refusalsWritten = 0;

  constructor(
    readonly nodeId: NodeId,
    /** The group an arrival of `group` is handed over as (the identity but for the planted bug). */
    private readonly routeArrival: (group: GroupId) => GroupId = (group) => group,
  ) {}

  send(to: NodeId, outbound: OutboundMessage): void {
    if (this.closed || to === this.nodeId || !this.nodes.has(to)) {
      this.counters.messagesDroppedUnknownPeer++;
      outbound.counters.messagesDroppedUnknownPeer++;
      return;
    }
    const frame = encodeMessageFrame(this.builder, outbound.group, outbound.message).slice(lengthPrefixBytes);
    this.counters.messagesSent++;
    outbound.counters.messagesSent++;
    this.outbox.push({ from: this.nodeId, to, type: outbound.message.type, frame });
  }

  /** A node heartbeat (node liveness) travels like a message: in its frame, in order, with the same faults. */
  sendHeartbeat(to: NodeId, heartbeat: NodeHeartbeat): void {
    if (this.closed || to === this.nodeId || !this.nodes.has(to)) return;
    const frame = encodeNodeHeartbeatFrame(this.builder, heartbeat).slice(lengthPrefixBytes);
    this.outbox.push({ from: this.nodeId, to, type: "nodeHeartbeat", frame });
  }

  setNodes(nodes: PeerAddresses): void {
    this.nodes = new Set([...nodes.keys()].filter((node) => node !== this.nodeId));
  }

  refuse(_to: NodeId, _refusal: MemberRefusal): void {
    this.refusalsWritten++;
  }

  attach(receiver: NodeReceiver): void {
    this.receiver = receiver;
  }

  async close(): Promise<void> {
    this.kill();
  }

  stats(): PeerTransportStats {
    return this.counters.snapshot({});
  }

  /** The network delivers a packet to this node: its frame decoded, handed to the multiplexer. */
  deliver(packet: NodePacket): void {
    if (this.closed || this.receiver === null) return;
    if (!this.nodes.has(packet.from)) {
      this.counters.rejected.unknownNode++;
      return;
    }
    const decoded = decodePeerFrame(packet.frame);
    if (decoded.kind === "nodeHeartbeat") return this.receiver.heartbeat(packet.from, decoded.heartbeat);
    if (decoded.kind !== "message") throw new Error(`a message frame decoded as ${decoded.kind}`);
    const message: Message = decoded.message;
    const rejection = this.receiver.message(packet.from, this.routeArrival(decoded.group), message);
    if (rejection === null) this.counters.messagesReceived++;
    else this.counters.rejected[rejection]++;
  }

  /** Hands what was sent this step to the network (at step `now`). */
  flush(network: SimNetwork<NodePacket>, now: number): void {
    for (const packet of this.outbox) network.send(packet, now);
    this.outbox = [];
  }

  /** The process died: nothing more goes out or comes in. */
  kill(): void {
    this.closed = true;
    this.outbox = [];
  }
}
