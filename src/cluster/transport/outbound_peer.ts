/**
 * The connection this node dials to one peer, which carries messages one way: to the peer.
 * Messages wait in a bounded queue; a flush (once per event-loop turn) encodes every queued
 * message into one buffer and writes it with one call. What the socket does not take waits
 * for `drain`, and meanwhile new messages stay queued, so the queue bound is the back-pressure.
 * A lost connection drops what was in flight (Raft resends) and is redialed after a delay that
 * doubles from reconnectDelayMsMin to reconnectDelayMsMax while attempts keep failing, or at
 * once when the peer shows it is back by dialing this node (dialNow). An attempt that is not
 * open within connectTimeoutMs counts as failed.
 */
import type { Socket } from "bun";
import type * as flatbuffers from "flatbuffers";
import type { HostPort } from "../../config/address.ts";
import { OutputBuffer } from "../../net/output_buffer.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { encodeMessageFrame } from "./peer_codec.ts";
import type { PeerCounters } from "./peer_stats.ts";
import type { PeerDialer, PeerTransportLimits } from "./types.ts";

const lengthPrefixBytes = 4;

interface OutboundContext {
  limits: PeerTransportLimits;
  counters: PeerCounters;
  builder: flatbuffers.Builder;
  helloFrame: Uint8Array;
  dial: PeerDialer;
}

export class OutboundPeer {
  private queue: Message[] = [];
  private socket: Socket<undefined> | null = null;
  private output = new OutputBuffer();
  /** Bumped per connect attempt, so events of an abandoned attempt are ignored. */
  private attempt = 0;
  private connecting = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Abandons the attempt in progress when it takes too long. */
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectDelayMs: number;
  private closed = false;

  constructor(
    readonly nodeId: NodeId,
    readonly address: HostPort,
    private readonly context: OutboundContext,
  ) {
    this.reconnectDelayMs = context.limits.reconnectDelayMsMin;
  }

  queuedMessages(): number {
    return this.queue.length;
  }

  /** Queues `message`; false when the queue is full (the caller counts the drop). */
  enqueue(message: Message): boolean {
    if (this.queue.length >= this.context.limits.queuedMessagesPerPeerMax) return false;
    this.queue.push(message);
    return true;
  }

  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const socket = this.socket;
    if (socket === null) return this.connectUnlessWaiting();
    if (this.output.length > 0 && this.output.flush(socket) === 0) return;
    if (this.output.length > 0) return;
    for (const message of this.queue) {
      const frame = encodeMessageFrame(this.context.builder, message);
      // The peer would refuse it and drop the connection: drop the message alone instead.
      if (frame.length - lengthPrefixBytes > this.context.limits.frameSizeBytesMax) {
        this.context.counters.messagesDroppedTooLarge++;
        continue;
      }
      this.output.append(frame);
      this.context.counters.messagesSent++;
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
        data: () => {},
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
    this.output = new OutputBuffer();
    this.output.append(this.context.helloFrame);
    this.output.flush(socket);
    this.flush();
  }

  private onLost(attempt: number): void {
    if (attempt !== this.attempt) return;
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

  private stopReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private stopConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
