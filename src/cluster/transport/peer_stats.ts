/** Counters shared by both transports and by each group's view, so their stats() read the same way. */
import type { PeerRejections, PeerTransportStats } from "./types.ts";

export class PeerCounters {
  messagesSent = 0;
  messagesReceived = 0;
  messagesDroppedQueueFull = 0;
  messagesDroppedUnknownPeer = 0;
  messagesDroppedTooLarge = 0;
  nodeHeartbeatsSent = 0;
  nodeHeartbeatsReceived = 0;
  connectionsOpened = 0;
  readonly rejected: PeerRejections = {
    unknownNode: 0, wrongClusterId: 0, clientProtocol: 0, malformedFrame: 0, misaddressed: 0,
    protocolVersion: 0, unknownGroup: 0, notMember: 0,
  };

  snapshot(queuedMessagesByPeer: Record<string, number>): PeerTransportStats {
    return {
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      messagesDroppedQueueFull: this.messagesDroppedQueueFull,
      messagesDroppedUnknownPeer: this.messagesDroppedUnknownPeer,
      messagesDroppedTooLarge: this.messagesDroppedTooLarge,
      nodeHeartbeatsSent: this.nodeHeartbeatsSent,
      nodeHeartbeatsReceived: this.nodeHeartbeatsReceived,
      queuedMessagesByPeer,
      connectionsOpened: this.connectionsOpened,
      rejected: { ...this.rejected },
    };
  }
}
