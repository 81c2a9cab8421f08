/**
 * One connection a peer node dialed to this node: it must open with a PeerHello naming this
 * cluster, this protocol version and a node this node talks to, then carry PeerMessages of any
 * group, and node heartbeats, from that node. A bad hello or frame closes it and is counted by reason; the transport
 * and its other connections carry on. A node this node does not (or no longer) talk to is told,
 * before the close, that its replicas are not members where the groups know it (refusalFramesFor),
 * so a removed replica learns it; a hello of another protocol version is answered with a
 * PeerRefusal saying so. A message the receiver refuses (a group this node does not hold, a
 * misaddressed message, a sender not a member) is counted and dropped, and the connection, which
 * carries the other groups too, stays; a refusal the receiver writes back goes out on it
 * (writeBack), behind a bound.
 * A connection whose first frame is a JoinRequest (join_codec.ts) is a join conversation instead:
 * the request goes to the transport (context.join), its one answer is written back, then the
 * connection closes; any other frame on it closes it at once.
 * Frames are copied out of the read buffer once, so the entries of a delivered append stay valid
 * for as long as the receiver keeps them.
 */
import type { Socket } from "bun";
import { FrameAssembler } from "../../wire/frame_assembler.ts";
import { OutputBuffer } from "../../wire/output_buffer.ts";
import { RequestRejection } from "../../wire/status.ts";
import type { LogFields } from "../../util/logger.ts";
import type { Message, NodeId } from "../raft/types.ts";
import type { JoinRequest } from "./join_codec.ts";
import { decodePeerFrame, peerProtocolVersion } from "./peer_codec.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import { writtenBackBytesMax } from "./transport_limits.ts";
import type { GroupId, GroupRejection, NodeHeartbeat, PeerRejections } from "./types.ts";

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
  /** Whether this node talks to `node` (dials it and accepts its hello). */
  isPeer(node: NodeId): boolean;
  /** Counts and logs refused input; `fields` say more in the log line. */
  reject(reason: keyof PeerRejections, fields?: LogFields): void;
  deliver(from: NodeId, group: GroupId, message: Message): GroupRejection | null;
  /** A node heartbeat of the hello's node. */
  heartbeat(from: NodeId, heartbeat: NodeHeartbeat): void;
  /** A peer's hello was accepted: it is up. */
  greeted(node: NodeId): void;
  /** The PeerRefusal frames telling `node` its replicas are not members; null when there are none. */
  refusalFramesFor(node: NodeId): Uint8Array | null;
  /** The PeerRefusal frame telling `node` its hello's protocol version is not this one. */
  versionRefusalFrame(node: NodeId, version: number): Uint8Array;
  /** A join conversation's request: resolves with the JoinAnswer frame to write back (never rejects). */
  join(request: JoinRequest): Promise<Uint8Array>;
}

export class InboundConnection {
  private readonly assembler: FrameAssembler;
  /** The node named by the hello; null until it arrives. */
  peerNode: NodeId | null = null;
  /** The first frame was a JoinRequest: the connection waits for its answer, then closes. */
  private joinRequested = false;
  private closed = false;
  /** Bytes of the first length prefix seen so far; null once it was checked. */
  private firstPrefix: number[] | null = [];
  /** Refusals written back that the socket has not taken yet. */
  private readonly writtenBack = new OutputBuffer();

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

  /** Whether the first frame arrived and said what the connection is (a hello, or a join request). */
  get introduced(): boolean {
    return this.peerNode !== null || this.joinRequested;
  }

  /** Closes the connection without counting it (peer removed, transport closing, no hello in time). */
  close(): void {
    this.closed = true;
    this.socket.terminate();
  }

  /** This node no longer talks to the peer: tells it where its replicas are not members and closes, uncounted. */
  closeAsNonMember(): void {
    if (this.closed) return;
    const frames = this.peerNode === null ? null : this.context.refusalFramesFor(this.peerNode);
    this.endWith(frames);
  }

  /**
   * Writes `frame` (a refusal) back to the dialing node. Dropped when more than
   * writtenBackBytesMax wait already: a peer that does not read what comes back loses refusals,
   * this node does not grow memory for it.
   */
  writeBack(frame: Uint8Array): void {
    if (this.closed || this.writtenBack.length + frame.length > writtenBackBytesMax) return;
    this.writtenBack.append(frame);
    this.writtenBack.flush(this.socket);
  }

  /** The socket can take more: what is written back goes on. */
  onDrain(): void {
    if (!this.closed) this.writtenBack.flush(this.socket);
  }

  /** Closes after writing what waits and `frames` (end() sends them before the close; terminate() could drop them). */
  private endWith(frames: Uint8Array | null): void {
    this.closed = true;
    if (frames !== null) this.writtenBack.append(frames);
    if (this.writtenBack.length === 0) this.socket.terminate();
    else this.socket.end(this.writtenBack.bytes.subarray(0, this.writtenBack.length));
  }

  private onFrame(frame: Uint8Array): boolean {
    let decoded;
    try {
      decoded = decodePeerFrame(frame);
    } catch (error) {
      if (!(error instanceof PeerFrameError)) throw error;
      return this.refuse(error.reason);
    }
    if (this.joinRequested) return this.refuse("malformedFrame");
    if (decoded.kind === "hello") return this.onHello(decoded.clusterId, decoded.nodeId, decoded.protocolVersion);
    if (decoded.kind === "joinRequest") return this.onJoinRequest(decoded.request);
    // Refusals travel only back to the dialing node, never on a connection it dialed in.
    if (decoded.kind === "nodeHeartbeat") return this.onHeartbeat(decoded.heartbeat);
    if (decoded.kind !== "message" || this.peerNode === null) return this.refuse("malformedFrame");
    if (!this.context.isPeer(this.peerNode)) return this.refuseNonMember(this.peerNode);
    const rejection = this.context.deliver(this.peerNode, decoded.group, decoded.message);
    const { group, message } = decoded;
    if (rejection !== null) this.context.reject(rejection, { group, from: message.from, to: message.to });
    return !this.closed;
  }

  private onHeartbeat(heartbeat: NodeHeartbeat): boolean {
    if (this.peerNode === null) return this.refuse("malformedFrame");
    if (!this.context.isPeer(this.peerNode)) return this.refuseNonMember(this.peerNode);
    this.context.heartbeat(this.peerNode, heartbeat);
    return !this.closed;
  }

  private onHello(clusterId: string, nodeId: NodeId, protocolVersion: number): boolean {
    if (this.peerNode !== null) return this.refuse("malformedFrame");
    if (protocolVersion !== peerProtocolVersion) return this.refuseVersion(nodeId, protocolVersion);
    if (clusterId !== this.context.clusterId) return this.refuse("wrongClusterId");
    if (nodeId === this.context.nodeId) return this.refuse("unknownNode");
    if (!this.context.isPeer(nodeId)) return this.refuseNonMember(nodeId);
    this.peerNode = nodeId;
    this.context.greeted(nodeId);
    return true;
  }

  /** The first frame was a JoinRequest: its answer is written back once decided, then the connection closes. */
  private onJoinRequest(request: JoinRequest): boolean {
    if (this.peerNode !== null) return this.refuse("malformedFrame");
    this.joinRequested = true;
    void this.context.join(request).then((answer) => {
      if (!this.closed) this.endWith(answer);
    });
    return true;
  }

  /** Counts and logs the refusal, and closes after telling the dialing node which version this one speaks. */
  private refuseVersion(node: NodeId, version: number): false {
    this.context.reject("protocolVersion", { version, expected: peerProtocolVersion });
    this.endWith(this.context.versionRefusalFrame(node, version));
    return false;
  }

  /** As refuse("unknownNode"), after writing `node` the refusals the transport has for it. */
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
