/**
 * Peer traffic of a node for /metrics: Raft messages sent to and received from other nodes over
 * the peer port, counted by the node's transport (on a sharded node, every group's messages on
 * its one connection per node pair). Rendered for a single group's replica and for a node of a
 * sharded cluster alike, so the idle cost of many groups (heartbeats) can be read from outside.
 */
import type { PeerTransportStats } from "../cluster/transport/types.ts";
import { writeHeader, writeSample } from "./prometheus_text.ts";

export function renderPeerTraffic(lines: string[], stats: PeerTransportStats): void {
  const counters: Array<[string, string, number]> = [
    ["sent", "Raft messages handed to the peer port for another node.", stats.messagesSent],
    ["received", "Raft messages received from other nodes and accepted.", stats.messagesReceived],
  ];
  for (const [direction, help, value] of counters) {
    const name = `filestore_peer_messages_${direction}_total`;
    writeHeader(lines, name, "counter", help);
    writeSample(lines, name, {}, value);
  }
}
