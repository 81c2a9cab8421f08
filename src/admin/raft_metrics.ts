/**
 * Raft figures of a replicated node for /metrics: term, role, commit and applied indexes,
 * follower lag as the leader sees it, elections won, snapshots sent/taken/installed, refused and
 * dropped peer messages. Proposal latency is a histogram in ServerMetrics (fed by the driver for
 * every write it leads).
 */
import type { KeyValueDriver } from "../cluster/key_value_replica.ts";
import { formatNodeId } from "../cluster/node_id.ts";
import type { PeerRejections, PeerTransportStats } from "../cluster/transport/types.ts";
import { writeHeader, writeSample } from "./prometheus_text.ts";

const prefix = "filestore_raft_";
const roles = ["follower", "preCandidate", "candidate", "leader"] as const;

export function renderRaftMetrics(lines: string[], driver: KeyValueDriver, peerStats: PeerTransportStats | null): void {
  const status = driver.status();
  const gauges: Array<[string, "gauge" | "counter", string, number]> = [
    ["term", "gauge", "Current Raft term.", status.term],
    ["commit_index", "gauge", "Highest log index known committed.", status.commit],
    ["applied_index", "gauge", "Highest log index applied to the state machine.", driver.machine.appliedIndex],
    ["last_index", "gauge", "Index of the last entry in this node's log.", status.lastIndex],
    ["leader_elections_won_total", "counter", "Times this node became leader.", driver.counters.leadershipsWon],
    ["term_changes_total", "counter", "Term changes seen by this node (each is an election somewhere).", driver.counters.termChanges],
    ["snapshot_chunks_sent_total", "counter", "InstallSnapshot chunks sent to lagging followers.", driver.counters.snapshotChunksSent],
    ["snapshots_taken_total", "counter", "State-machine snapshots taken (each followed by log compaction).", driver.counters.snapshotsTaken],
    ["snapshots_installed_total", "counter", "Snapshots received from a leader and installed.", driver.counters.snapshotsInstalled],
    ["entries_applied_during_write_total", "counter", "Entries committed by the other members and applied while this node's own write of them ran.", driver.counters.entriesAppliedDuringWrite],
    ["peer_messages_refused_total", "counter", "Malformed peer messages refused by the Raft core.", driver.counters.messagesRefused],
  ];
  for (const [name, type, help, value] of gauges) {
    writeHeader(lines, prefix + name, type, help);
    writeSample(lines, prefix + name, {}, value);
  }
  writeHeader(lines, `${prefix}role`, "gauge", "1 for this node's current role, 0 for the others.");
  for (const role of roles) writeSample(lines, `${prefix}role`, { role }, status.softState.role === role ? 1 : 0);
  writeHeader(lines, `${prefix}follower_lag_entries`, "gauge", "On the leader: entries each follower is behind the leader's last index.");
  if (driver.isLeader()) {
    for (const [peer, match] of driver.peerMatchIndex) {
      writeSample(lines, `${prefix}follower_lag_entries`, { peer: formatNodeId(peer) }, Math.max(0, status.lastIndex - match));
    }
  }
  if (peerStats === null) return;
  renderPeerRefusals(lines, peerStats.rejected);
  const dropped = "filestore_peer_messages_dropped_too_large_total";
  const help = "Peer messages dropped for a frame over the peer frame limit: a bug if ever above 0.";
  writeHeader(lines, dropped, "counter", help);
  writeSample(lines, dropped, {}, peerStats.messagesDroppedTooLarge);
}

/** Label values of the peer port's refusal reasons, as the README's metrics table names them. */
const refusalReasons: Record<keyof PeerRejections, string> = {
  unknownNode: "unknown_node",
  wrongClusterId: "wrong_cluster",
  clientProtocol: "client_protocol",
  malformedFrame: "malformed_frame",
  misaddressed: "misaddressed",
  protocolVersion: "protocol_version",
  unknownGroup: "unknown_group",
  notMember: "not_member",
};

/** Connections and frames the peer port refused before any reached the Raft core, by reason. */
function renderPeerRefusals(lines: string[], rejected: PeerRejections): void {
  const name = "filestore_peer_input_refused_total";
  writeHeader(lines, name, "counter", "Peer-port connections or frames refused before reaching Raft, by reason.");
  for (const reason of Object.keys(refusalReasons) as Array<keyof PeerRejections>) {
    writeSample(lines, name, { reason: refusalReasons[reason] }, rejected[reason]);
  }
}
