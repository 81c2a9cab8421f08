/**
 * One replicated node, assembled: the Raft log (RaftDiskStorage in DATA/raft), the engine
 * (DATA/engine), the TCP peer transport, the driver, and the KeyValueService the client port
 * serves. The engine's own log runs without fsync: the Raft log, fsync'd before anything is
 * acknowledged or sent, is the write-ahead log, and the engine is rebuilt from it after a crash
 * (key_value_start.ts); the key-value machine syncs the engine before a snapshot lets Raft
 * compact its log.
 *
 * A new store starts with every node of `peers` as a voter (the group's first configuration),
 * unless `join` is set: a node joining an existing group starts with no configuration and
 * learns it from the leader (`filestore cluster add-node`).
 *
 * A node that learns it was removed from the group writes DATA/removed (removal_marker.ts)
 * before it reports the removal, and refuses to start again on that data.
 */
import { join as joinPath } from "node:path";
import type { HostPort } from "../config/address.ts";
import { formatHostPort } from "../config/address.ts";
import { Engine } from "../engine/engine.ts";
import type { FsyncMode } from "../log/types.ts";
import type { KeyValueService } from "../net/key_value_service.ts";
import { formatNodeId } from "./node_id.ts";
import type { NodeId } from "./raft/types.ts";
import { entriesKeptAfterSnapshot } from "./cluster_limits.ts";
import type { NodeRemoval } from "./node_removal.ts";
import { refuseStartIfRemoved, writeRemovalMarker } from "./removal_marker.ts";
import { refuseOtherLayout } from "./data_layout.ts";
import { startKeyValueReplica, type KeyValueDriver } from "./key_value_replica.ts";
import type { MemberAddressBook } from "./member_address_book.ts";
import { SelfAnnouncer } from "./self_announcer.ts";
import { ReplicatedKeyValueService } from "./replicated_service.ts";
import { RaftDiskStorage } from "./storage/raft_disk_storage.ts";
import { startTcpPeerTransport } from "./transport/tcp_peer_transport.ts";
import type { PeerAddresses, TcpPeerTransport } from "./transport/types.ts";
import { silentLogger, type Logger } from "../util/logger.ts";
import { systemErrorText } from "../util/system_error_text.ts";

/** Every node of one group shares it; a node of another FileStore group is refused at the peer handshake. */
const clusterIdDefault = "filestore";

/** The peer port could not be opened; the message names it, e.g. "peer port 127.0.0.1:7500: address already in use". */
export class PeerPortError extends Error {
  override name = "PeerPortError";
}

export interface ClusterNodeOptions {
  nodeId: NodeId;
  /** Every node of the group with its peer address, this one included. */
  peers: ReadonlyMap<NodeId, HostPort>;
  /** Where peers connect; default: this node's entry in `peers`. */
  peerListen?: HostPort;
  dataDir: string;
  /** fsync mode of the Raft log (the write-ahead log). */
  fsync: FsyncMode;
  join: boolean;
  /** Applied entries between state-machine snapshots (driver default when absent). */
  snapshotEveryEntries?: number;
  onFsync?: (durationSeconds: number) => void;
  onProposalApplied?: (seconds: number) => void;
  onFailure?: (error: Error) => void;
  /** The node's operational log (recovery, elections, membership, peers, snapshots); silent when absent. */
  logger?: Logger;
  /**
   * Called once when this node learns it was removed (node_removal.ts), after DATA/removed is
   * written; `markerError` says why it could not be (a restart then learns the removal again).
   */
  onRemoved?: (removal: NodeRemoval, markerError: string | null) => void;
}

export class ClusterNode {
  private addresses = { clientAddress: "", adminAddress: "", peerAddress: "" };
  private readonly announcer: SelfAnnouncer;

  private constructor(
    readonly driver: KeyValueDriver,
    private readonly addressBook: MemberAddressBook,
    readonly engine: Engine,
    readonly storage: RaftDiskStorage,
    readonly transport: TcpPeerTransport,
    readonly service: KeyValueService,
  ) {
    this.announcer = new SelfAnnouncer(driver, () => this.addresses);
  }

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const listen = options.peerListen ?? options.peers.get(options.nodeId);
    if (listen === undefined) {
      throw new Error(`peers must list this node (${formatNodeId(options.nodeId)}) or peer-listen must be given`);
    }
    refuseStartIfRemoved(options.dataDir);
    refuseOtherLayout(options.dataDir, "single group");
    const initialConf = options.join ? { voters: [], learners: [] } : { voters: [...options.peers.keys()], learners: [] };
    const logger = options.logger ?? silentLogger;
    const storageOptions = { fsync: options.fsync, onFsync: options.onFsync, logger };
    const storage = await RaftDiskStorage.open(joinPath(options.dataDir, "raft"), storageOptions, initialConf);
    const engine = await Engine.open({ dir: joinPath(options.dataDir, "engine"), fsync: "unsafe-no-fsync", logger });
    const peerAddresses = new Map([...options.peers].map(([id, address]) => [id, formatHostPort(address)] as const));
    const transport = await startPeerPort(options.nodeId, listen, peerAddresses, logger, [storage, engine]);
    const { driver, addresses } = await startKeyValueReplica({
      nodeId: options.nodeId,
      storage,
      transport,
      engine,
      peers: peerAddresses,
      self: { clientAddress: "", adminAddress: "", peerAddress: formatHostPort(transport.listenAddress) },
      onProposalApplied: options.onProposalApplied,
      snapshotEveryEntries: options.snapshotEveryEntries,
      entriesKeptAfterSnapshot: options.snapshotEveryEntries === undefined ? undefined : Math.min(entriesKeptAfterSnapshot, Math.floor(options.snapshotEveryEntries / 2)),
      onFailure: options.onFailure,
      logger,
      onRemoved: (removal) => options.onRemoved?.(removal, markRemoved(options.dataDir, removal)),
    });
    const service = new ReplicatedKeyValueService(driver, engine);
    return new ClusterNode(driver, addresses, engine, storage, transport, service);
  }

  /** Once the client port and admin endpoint are bound: the leader announces them to clients. */
  setAddresses(clientAddress: string, adminAddress: string): void {
    this.addresses = { clientAddress, adminAddress, peerAddress: formatHostPort(this.transport.listenAddress) };
    this.addressBook.setSelf(this.addresses);
  }

  /** Stops Raft, then the peer port, then syncs and closes the Raft log and the engine. */
  async close(): Promise<void> {
    this.announcer.close();
    await this.driver.close();
    await this.transport.close();
    await this.storage.close();
    await this.engine.close();
  }
}

/** Writes the removal marker; the error's message when it could not. */
function markRemoved(dataDir: string, removal: NodeRemoval): string | null {
  try {
    writeRemovalMarker(dataDir, removal);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The peer transport; when its port cannot be opened, closes what was opened before it and says which port. */
async function startPeerPort(
  nodeId: NodeId,
  listen: HostPort,
  peers: PeerAddresses,
  logger: Logger,
  openedBefore: ReadonlyArray<{ close(): Promise<void> }>,
): Promise<TcpPeerTransport> {
  try {
    return await startTcpPeerTransport({ nodeId, clusterId: clusterIdDefault, listen, peers, logger });
  } catch (error) {
    for (const opened of openedBefore) await opened.close();
    throw new PeerPortError(`peer port ${formatHostPort(listen)}: ${systemErrorText(error)}`);
  }
}
