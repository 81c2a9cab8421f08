/**
 * Bounds of the peer transport. Each is a default that TcpPeerTransportOptions.limits may
 * override (tests use small ones); relationships between them are asserted in
 * resolvePeerTransportLimits.
 */
import { assert } from "../../util/assert.ts";
import type { PeerTransportLimits } from "./types.ts";

/**
 * Messages waiting per peer. A leader sends a few messages per peer per tick; a queue this
 * long means the peer is gone or far too slow, and Raft resends what is lost, so holding more
 * would only grow memory while the peer is away.
 */
const queuedMessagesPerPeerMax = 4096;

/**
 * Largest peer frame. Must hold the largest append message (the core caps its bytes) and a
 * snapshot chunk with room for the envelope (cluster_limits.ts asserts both at load); bigger
 * frames are refused as malformed.
 */
export const peerFrameSizeBytesMax = 64 * 1024 * 1024;

/** First retry after a failed connect: short, so a restarted peer is reached within a tick or two. */
const reconnectDelayMsMin = 10;

/** Longest wait between connect attempts to a peer that stays down: bounds the cost of a dead peer. */
const reconnectDelayMsMax = 1000;

/**
 * Longest a connect attempt may take before it is abandoned and retried. A connect to a host
 * that drops packets (a partition) would otherwise wait for the kernel's SYN retransmits, up to
 * minutes, and no other attempt starts meanwhile: the peer could be back long before this node
 * dials it again. On a working network a connect takes well under a millisecond to a few tens.
 */
const connectTimeoutMs = 1000;

/** Time a new inbound connection has to send its hello before it is closed (a silent socket holds a slot). */
export const helloTimeoutMs = 5000;

/**
 * Longest a member takes to answer a join request (join_codec.ts) before it answers NotReady: the
 * coordinator's commit and a membership change of its group take milliseconds, an election under a
 * second; a coordinator that needs longer is not ready, and the joining node asks again.
 */
export const joinAnswerTimeoutMs = 5000;

/**
 * Longest a joining node waits for the answer on its join connection (connect included): the
 * member's own bound plus slack for the connect and a loaded machine, so a member that is merely
 * slow to decide answers NotReady before the joining node gives up on it.
 */
export const joinAnswerWaitMs = joinAnswerTimeoutMs + 3000;

/** Inbound peer connections at once: one per node that dials this one, whatever the number of groups. */
export const inboundConnectionsMax = 256;

/**
 * Refusal bytes waiting to be written back on one inbound connection. A refusal is under 200
 * bytes and a removed replica sends a few messages per election timeout, so this holds hundreds;
 * a peer that keeps sending from non-members without reading what comes back loses refusals
 * past it rather than growing this node's memory.
 */
export const writtenBackBytesMax = 64 * 1024;

export function resolvePeerTransportLimits(overrides: Partial<PeerTransportLimits> = {}): PeerTransportLimits {
  const limits: PeerTransportLimits = {
    queuedMessagesPerPeerMax: overrides.queuedMessagesPerPeerMax ?? queuedMessagesPerPeerMax,
    frameSizeBytesMax: overrides.frameSizeBytesMax ?? peerFrameSizeBytesMax,
    reconnectDelayMsMin: overrides.reconnectDelayMsMin ?? reconnectDelayMsMin,
    reconnectDelayMsMax: overrides.reconnectDelayMsMax ?? reconnectDelayMsMax,
    connectTimeoutMs: overrides.connectTimeoutMs ?? connectTimeoutMs,
  };
  assert(limits.queuedMessagesPerPeerMax >= 1, "peer queue must hold at least one message");
  assert(limits.frameSizeBytesMax >= 1024, "peer frames must hold at least a hello and a heartbeat");
  assert(limits.reconnectDelayMsMin >= 1, "reconnect delay must be positive");
  assert(limits.reconnectDelayMsMax >= limits.reconnectDelayMsMin, "reconnect delay max below its min");
  assert(limits.connectTimeoutMs >= 1, "connect timeout must be positive");
  return limits;
}
