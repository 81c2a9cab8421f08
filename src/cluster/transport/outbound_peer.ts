/**
 * The connection this node dials to one peer node, which carries messages of every group one
 * way: to the peer. Messages wait in one bounded queue per node (not per group); a flush (once
 * per event-loop turn) encodes every queued message, whatever its group, into one buffer and
 * writes it with one call. Each message stays its own frame rather than a batch of messages in
 * one frame: measured here, a heartbeat's frame is 124 bytes and encodes in about 0.9 µs, of
 * which the Envelope and length prefix a batch would share are about 40 bytes and 0.15 µs; the
 * write, the costly part, is shared already. (Copying each frame out of the builder, 0.45 µs, is
 * the larger saving: encoding straight into the output buffer would remove it.) What the socket does not take waits
 * for `drain`, and meanwhile new messages stay queued, so the queue bound is the back-pressure.
 * A lost connection drops what was in flight (Raft resends) and is redialed after a delay that
 * doubles from reconnectDelayMsMin to reconnectDelayMsMax while attempts keep failing, or at
 * once when the peer shows it is back by dialing this node (dialNow). An attempt that is not
 * open within connectTimeoutMs counts as failed. The one frame that may come back is a
 * PeerRefusal naming this node: one saying a replica of this node is not a member of a group is
 * handed to onRefused; one refusing this node's protocol version is logged (the peer then closes
 * the connection). Anything else on the way back closes the connection.
 *
 * Logged (one line per change of state, never one per failed redial): "peer connected" the first
 * time, "peer not reachable yet" when the first attempts fail, "peer connection lost" when an open
 * connection breaks, "peer connection regained" (with the failed attempts and time down) after.
 * A peer that accepts and at once drops each connection (it does not count this node as a member)
 * would make a pair of lines per redial, so those two are written at most once a second, counted.
 * A message whose frame is over the peer frame limit is dropped (the peer would refuse the frame
 * and drop the connection), counted and logged at error level, at most once a second: the Raft
 * sizes are checked against the limit at load (cluster_limits.ts), so it is a bug.
 */
import type { Socket } from "bun";
import type * as flatbuffers from "flatbuffers";
import type { HostPort } from "../../config/address.ts";
import { FrameAssembler } from "../../wire/frame_assembler.ts";
import { OutputBuffer } from "../../wire/output_buffer.ts";
import { RequestRejection } from "../../wire/status.ts";
import type { NodeId } from "../raft/types.ts";
import { helloFrameBytesMax } from "./inbound_connection.ts";
import { decodePeerFrame, encodeMessageFrame, encodeNodeHeartbeatFrame } from "./peer_codec.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import type { PeerCounters } from "./peer_stats.ts";
import type { MemberRefusal, OutboundItem, OutboundMessage, PeerDialer, PeerTransportLimits } from "./types.ts";
import type { Logger } from "../../util/logger.ts";
import { RepeatedEventLog, type Schedule } from "../../util/repeated_event_log.ts";
import { formatHostPort } from "../../config/address.ts";
import { formatNodeId } from "../node_id.ts";

const lengthPrefixBytes = 4;
const tooLargeMessage = "peer message dropped: its frame is over the peer frame limit (a bug: Raft sizes must fit)";
const versionRefusedMessage = "peer refused this node's peer protocol version";

interface OutboundContext {
  limits: PeerTransportLimits;
  counters: PeerCounters;
  builder: flatbuffers.Builder;
  helloFrame: Uint8Array;
  dial: PeerDialer;
  logger: Logger;
  logSchedule: Schedule | undefined;
  /** This node's id: a refusal must name it. */
  ownNodeId: NodeId;
  /** The peer node `from` said a replica of this node is not a member of a group. */
  onRefused(from: NodeId, refusal: MemberRefusal): void;
}

export class OutboundPeer {
  private queue: OutboundItem[] = [];
  private socket: Socket<undefined> | null = null;
  private output = new OutputBuffer();
  /** Frames coming back on the connection (a refusal is small: a hello's bound is plenty). */
  private returned = new FrameAssembler(helloFrameBytesMax, 256);
  /** Bumped per connect attempt, so events of an abandoned attempt are ignored. */
  private attempt = 0;
  private connecting = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Abandons the attempt in progress when it takes too long. */
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectDelayMs: number;
  private closed = false;
  /** For the log: whether a connection was ever open, attempts failed since the last one, when it was lost. */
  private everConnected = false;
  private failedAttempts = 0;
  private lostAtMs = 0;
  private readonly lostLog: RepeatedEventLog;
  private readonly regainedLog: RepeatedEventLog;
  private readonly tooLargeLog: RepeatedEventLog;
  private readonly versionRefusedLog: RepeatedEventLog;

  constructor(
    readonly nodeId: NodeId,
    readonly address: HostPort,
    private readonly context: OutboundContext,
  ) {
    this.reconnectDelayMs = context.limits.reconnectDelayMsMin;
    this.lostLog = new RepeatedEventLog(context.logger, "warn", "peer connection lost; redialing", context.logSchedule);
    this.regainedLog = new RepeatedEventLog(context.logger, "info", "peer connection regained", context.logSchedule);
    this.tooLargeLog = new RepeatedEventLog(context.logger, "error", tooLargeMessage, context.logSchedule);
    this.versionRefusedLog = new RepeatedEventLog(context.logger, "error", versionRefusedMessage, context.logSchedule);
  }

  queuedMessages(): number {
    return this.queue.length;
  }

  /** Queues `outbound` (a message or a node heartbeat); false when the queue is full (the caller counts the drop). */
  enqueue(outbound: OutboundItem): boolean {
    if (this.queue.length >= this.context.limits.queuedMessagesPerPeerMax) return false;
    this.queue.push(outbound);
    return true;
  }

  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const socket = this.socket;
    if (socket === null) return this.connectUnlessWaiting();
    if (this.output.length > 0 && this.output.flush(socket) === 0) return;
    if (this.output.length > 0) return;
    for (const outbound of this.queue) {
      if ("heartbeat" in outbound) {
        // A handful of bytes: far below any frame limit.
        this.output.append(encodeNodeHeartbeatFrame(this.context.builder, outbound.heartbeat));
        this.context.counters.nodeHeartbeatsSent++;
        continue;
      }
      const frame = encodeMessageFrame(this.context.builder, outbound.group, outbound.message);
      // The peer would refuse it and drop the connection: drop the message alone instead.
      if (frame.length - lengthPrefixBytes > this.context.limits.frameSizeBytesMax) {
        this.dropTooLarge(outbound, frame.length - lengthPrefixBytes);
        continue;
      }
      this.output.append(frame);
      this.context.counters.messagesSent++;
      outbound.counters.messagesSent++;
    }
    this.queue = [];
    this.output.flush(socket);
  }

  /**
   * Dials now unless connected or dialing. Called when the peer becomes known, so that it
   * hears this node's hello at once, and when the peer dialed this node, which shows it is up
   * again: after a restart the backoff may have reached reconnectDelayMsMax, and waiting it out
   * would leave the restarted node without heartbeats (and, if it is needed for a quorum, the
   * group without a leader) for up to that long.
   */
  dialNow(): void {
    if (this.closed || this.socket !== null || this.connecting) return;
    this.stopReconnectTimer();
    this.reconnectDelayMs = this.context.limits.reconnectDelayMsMin;
    this.connectUnlessWaiting();
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.stopReconnectTimer();
    this.stopConnectTimer();
    this.socket?.terminate();
    this.socket = null;
    this.lostLog.close();
    this.regainedLog.close();
    this.tooLargeLog.close();
    this.versionRefusedLog.close();
  }

  private dropTooLarge({ group, message, counters }: OutboundMessage, frameBytes: number): void {
    this.context.counters.messagesDroppedTooLarge++;
    counters.messagesDroppedTooLarge++;
    const fields = { frame_bytes: frameBytes, limit_bytes: this.context.limits.frameSizeBytesMax };
    this.tooLargeLog.note({ peer: formatNodeId(this.nodeId), group, type: message.type, ...fields });
  }

  private connectUnlessWaiting(): void {
    if (this.connecting || this.reconnectTimer !== null) return;
    this.connecting = true;
    const attempt = ++this.attempt;
    this.connectTimer = setTimeout(() => this.onLost(attempt), this.context.limits.connectTimeoutMs);
    this.context.dial({
      hostname: this.address.host,
      port: this.address.port,
      socket: {
        open: (socket) => this.onOpen(socket, attempt),
        data: (socket, chunk) => this.onReturned(socket, chunk),
        drain: () => this.flush(),
        close: () => this.onLost(attempt),
        error: () => this.onLost(attempt),
        connectError: () => this.onLost(attempt),
      },
    }).catch(() => this.onLost(attempt));
  }

  private onOpen(socket: Socket<undefined>, attempt: number): void {
    // Late: the attempt was abandoned (timed out), or the peer was closed meanwhile.
    if (this.closed || attempt !== this.attempt) {
      socket.terminate();
      return;
    }
    this.stopConnectTimer();
    socket.setNoDelay(true);
    this.socket = socket;
    this.connecting = false;
    this.reconnectDelayMs = this.context.limits.reconnectDelayMsMin;
    this.context.counters.connectionsOpened++;
    this.logConnected();
    this.output = new OutputBuffer();
    this.returned = new FrameAssembler(helloFrameBytesMax, 256);
    this.output.append(this.context.helloFrame);
    this.output.flush(socket);
    this.flush();
  }

  /** Bytes the peer wrote back: a PeerRefusal naming this node is reported; anything else ends the connection. */
  private onReturned(socket: Socket<undefined>, chunk: Uint8Array): void {
    try {
      this.returned.feed(chunk, (frame) => {
        const decoded = decodePeerFrame(frame.slice());
        const refusal = decoded.kind === "refusal" || decoded.kind === "versionRefusal" ? decoded : null;
        if (refusal === null || refusal.nodeId !== this.context.ownNodeId) {
          throw new PeerFrameError("malformedFrame", "only a refusal naming this node may come back");
        }
        if (refusal.kind === "refusal") this.context.onRefused(this.nodeId, refusal.refusal);
        else this.versionRefusedLog.note({ peer: formatNodeId(this.nodeId), reason: refusal.reason });
        return true;
      });
    } catch (error) {
      if (!(error instanceof PeerFrameError || error instanceof RequestRejection)) throw error;
      socket.terminate();
    }
  }

  private onLost(attempt: number): void {
    if (attempt !== this.attempt) return;
    if (!this.closed) this.logLost(this.socket !== null);
    this.stopConnectTimer();
    this.attempt++;
    this.socket = null;
    this.connecting = false;
    this.output = new OutputBuffer();
    if (this.closed || this.reconnectTimer !== null) return;
    const delayMs = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delayMs * 2, this.context.limits.reconnectDelayMsMax);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.flush();
    }, delayMs);
  }

  private logConnected(): void {
    const peer = formatNodeId(this.nodeId);
    const fields = { peer, address: formatHostPort(this.address), failed_attempts: this.failedAttempts };
    if (!this.everConnected) this.context.logger.info("peer connected", fields);
    else this.regainedLog.note({ ...fields, down_ms: Math.round(performance.now() - this.lostAtMs) });
    this.everConnected = true;
    this.failedAttempts = 0;
  }

  /** `wasOpen`: an open connection broke (rather than an attempt failing). */
  private logLost(wasOpen: boolean): void {
    const fields = { peer: formatNodeId(this.nodeId), address: formatHostPort(this.address) };
    if (wasOpen) {
      this.lostLog.note(fields);
      this.lostAtMs = performance.now();
      return;
    }
    this.failedAttempts++;
    if (this.everConnected || this.failedAttempts > 1) return;
    this.context.logger.info("peer not reachable yet; redialing", fields);
  }

  private stopReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private stopConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
