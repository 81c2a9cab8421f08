/**
 * One connection a peer dialed to this node: it must open with a PeerHello naming this
 * cluster and a node in the peer list, then carry PeerMessages from that node to this one.
 * Anything else closes it and is counted by reason; the transport and its other connections
 * carry on. A node that is not (or no longer) a member is told so with a PeerRefusal before the
 * close, when the transport knows its membership (refusalFor), so a removed node learns it.
 * Frames are copied out of the read buffer once, so the entries of a delivered append stay valid
 * for as long as the receiver keeps them.
 */
import type { Socket } from "bun";
import { FrameAssembler } from "../../wire/frame_assembler.ts";
import { RequestRejection } from "../../wire/status.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { decodePeerFrame, peerProtocolVersion } from "./peer_codec.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import type { PeerRejections } from "./types.ts";

/** Read buffer a connection starts with for frames split across reads; grows to the frame. */
const receiveBufferBytesInitial = 64 * 1024;

/**
 * Largest first frame (the hello: a cluster id and two numbers). Checked before anything is
 * buffered, so a stranger cannot make this node hold a full-size frame before saying who it is.
 */
export const helloFrameBytesMax = 4096;
const lengthPrefixBytes = 4;

interface InboundContext {
  nodeId: NodeId;
  clusterId: string;
  frameSizeBytesMax: number;
  isPeer(node: NodeId): boolean;
  reject(reason: keyof PeerRejections): void;
  deliver(message: Message): void;
  /** A peer's hello was accepted: it is up. */
  greeted(node: NodeId): void;
  /** The PeerRefusal frame telling `node` it is not a member; null when it is not to be told. */
  refusalFor(node: NodeId): Uint8Array | null;
}

export class InboundConnection {
  private readonly assembler: FrameAssembler;
  /** The node named by the hello; null until it arrives. */
  peerNode: NodeId | null = null;
  private closed = false;
  /** Bytes of the first length prefix seen so far; null once it was checked. */
  private firstPrefix: number[] | null = [];

  constructor(
    private readonly socket: Socket<InboundConnection | undefined>,
    private readonly context: InboundContext,
  ) {
    this.assembler = new FrameAssembler(context.frameSizeBytesMax, receiveBufferBytesInitial);
  }

  /** Made once, not per chunk. A copy: the entries of an append stay views of their own frame. */
  private readonly onAssembledFrame = (bytes: Uint8Array, start: number, end: number): boolean => this.onFrame(bytes.slice(start, end));

  onData(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.firstPrefix !== null && !this.checkFirstLength(chunk)) return;
    try {
      this.assembler.feedRanges(chunk, this.onAssembledFrame);
    } catch (error) {
      if (!(error instanceof RequestRejection)) throw error;
      this.refuse("malformedFrame");
    }
  }

  /** False (and the connection refused) when the first frame announces more than a hello needs. */
  private checkFirstLength(chunk: Uint8Array): boolean {
    const prefix = this.firstPrefix!;
    for (let position = 0; position < chunk.length && prefix.length < lengthPrefixBytes; position++) prefix.push(chunk[position]!);
    if (prefix.length < lengthPrefixBytes) return true;
    this.firstPrefix = null;
    const firstFrameBytes = (prefix[0]! | (prefix[1]! << 8) | (prefix[2]! << 16) | (prefix[3]! << 24)) >>> 0;
    return firstFrameBytes <= helloFrameBytesMax || this.refuse("malformedFrame");
  }

  /** Closes the connection without counting it (peer removed, transport closing, no hello in time). */
  close(): void {
    this.closed = true;
    this.socket.terminate();
  }

  /** The peer is no longer a member: tells it so (when the transport can) and closes, uncounted. */
  closeAsNonMember(): void {
    if (this.closed) return;
    const frame = this.peerNode === null ? null : this.context.refusalFor(this.peerNode);
    this.closed = true;
    // end() sends the refusal before the close; terminate() could drop it.
    if (frame === null) this.socket.terminate();
    else this.socket.end(frame);
  }

  private onFrame(frame: Uint8Array): boolean {
    let decoded;
    try {
      decoded = decodePeerFrame(frame);
    } catch (error) {
      if (!(error instanceof PeerFrameError)) throw error;
      return this.refuse(error.reason);
    }
    if (decoded.kind === "hello") return this.onHello(decoded.clusterId, decoded.nodeId, decoded.protocolVersion);
    // Refusals travel only back to the dialing node, never on a connection it dialed in.
    if (decoded.kind === "refusal") return this.refuse("malformedFrame");
    if (this.peerNode === null) return this.refuse("malformedFrame");
    const message = decoded.message;
    if (message.to !== this.context.nodeId || message.from !== this.peerNode) return this.refuse("misaddressed");
    if (!this.context.isPeer(this.peerNode)) return this.refuseNonMember(this.peerNode);
    this.context.deliver(message);
    return !this.closed;
  }

  private onHello(clusterId: string, nodeId: NodeId, protocolVersion: number): boolean {
    if (this.peerNode !== null || protocolVersion !== peerProtocolVersion) return this.refuse("malformedFrame");
    if (clusterId !== this.context.clusterId) return this.refuse("wrongClusterId");
    if (nodeId === this.context.nodeId) return this.refuse("unknownNode");
    if (!this.context.isPeer(nodeId)) return this.refuseNonMember(nodeId);
    this.peerNode = nodeId;
    this.context.greeted(nodeId);
    return true;
  }

  /** As refuse("unknownNode"), after writing `node` a PeerRefusal when the transport has one. */
  private refuseNonMember(node: NodeId): false {
    if (this.closed) return false;
    this.context.reject("unknownNode");
    this.peerNode = node;
    this.closeAsNonMember();
    return false;
  }

  /** Counts the refusal, closes the connection, and stops reading the rest of the chunk. */
  private refuse(reason: keyof PeerRejections): false {
    if (!this.closed) this.context.reject(reason);
    this.close();
    return false;
  }
}
