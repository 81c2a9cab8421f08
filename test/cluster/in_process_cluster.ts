/**
 * An in-process Raft cluster for driver tests: real engines in a temp folder, MemoryRaftStorage
 * for the Raft log, the in-memory peer network (carrying peer frames when asked, encodeFrames).
 * Nodes can be stopped (their engine and Raft storage kept, as a disk would) and started again,
 * and the network cut.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.ts";
import type { ConfState, NodeId } from "../../src/cluster/raft/types.ts";
import { startKeyValueReplica } from "../../src/cluster/key_value_replica.ts";
import type { KeyValueDriver, KeyValueReplicaOptions } from "../../src/cluster/key_value_replica.ts";
import { ReplicatedKeyValueService } from "../../src/cluster/replicated_service.ts";
import { MemoryRaftStorage } from "../../src/cluster/storage/memory_raft_storage.ts";
import { MemoryPeerNetwork, type MemoryPeerNetworkOptions } from "../../src/cluster/transport/memory_peer_transport.ts";
import type { PeerTransport } from "../../src/cluster/transport/types.ts";
import { waitFor } from "../support/wait_for.ts";

export interface ClusterNode {
  id: NodeId;
  storage: MemoryRaftStorage;
  engine: Engine;
  driver: KeyValueDriver;
  service: ReplicatedKeyValueService;
  transport: PeerTransport;
}

export class InProcessCluster {
  readonly network: MemoryPeerNetwork;
  readonly nodes = new Map<NodeId, ClusterNode>();
  private readonly storages = new Map<NodeId, MemoryRaftStorage>();

  private constructor(
    readonly directory: string,
    private readonly driverOverrides: Partial<KeyValueReplicaOptions>,
    networkOptions: MemoryPeerNetworkOptions,
  ) {
    this.network = new MemoryPeerNetwork(networkOptions);
  }

  static async start(
    ids: NodeId[],
    driverOverrides: Partial<KeyValueReplicaOptions> = {},
    networkOptions: MemoryPeerNetworkOptions = {},
  ): Promise<InProcessCluster> {
    const directory = await mkdtemp(join(tmpdir(), "filestore-cluster-"));
    const cluster = new InProcessCluster(directory, driverOverrides, networkOptions);
    for (const id of ids) await cluster.startNode(id, { voters: ids, learners: [] });
    return cluster;
  }

  peerMap(): Map<NodeId, string> {
    const peers = new Map<NodeId, string>();
    for (let id = 1; id <= 9; id++) peers.set(id, `memory:${id}`);
    return peers;
  }

  /** Starts (or restarts, keeping its storage and engine files) a node. */
  async startNode(id: NodeId, initialConf: ConfState): Promise<ClusterNode> {
    let storage = this.storages.get(id);
    if (storage === undefined) {
      storage = new MemoryRaftStorage(initialConf);
      this.storages.set(id, storage);
    }
    const engine = await Engine.open({ dir: join(this.directory, `n${id}`), fsync: "unsafe-no-fsync", autoCompaction: false });
    const transport = this.network.join(id, this.peerMap());
    const { driver } = await startKeyValueReplica({
      nodeId: id,
      storage,
      transport,
      engine,
      peers: this.peerMap(),
      self: { clientAddress: `client:${id}`, adminAddress: `admin:${id}`, peerAddress: `memory:${id}` },
      randomSeed: id * 7919,
      ...this.driverOverrides,
      // A logger given to the cluster tells each line's node.
      logger: this.driverOverrides.logger?.child({ node: `n${id}` }),
    });
    const node = { id, storage, engine, driver, service: new ReplicatedKeyValueService(driver, engine), transport };
    this.nodes.set(id, node);
    return node;
  }

  async stopNode(id: NodeId): Promise<void> {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    await node.driver.close();
    await node.transport.close();
    await node.engine.close();
  }

  node(id: NodeId): ClusterNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`node ${id} is not running`);
    return node;
  }

  /** The one node that leads (and whose leadership the others agree on), once there is one. */
  leader(): Promise<ClusterNode> {
    return waitFor(() => {
      const leaders = [...this.nodes.values()].filter((node) => node.driver.isLeader());
      const found = leaders.length === 1 ? leaders[0] : undefined;
      return found !== undefined && found.driver.machine.members.has(found.id) ? found : null;
    }, "a single leader that announced itself");
  }

  async close(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stopNode(id);
    await rm(this.directory, { recursive: true, force: true });
  }
}

export const text = (value: string) => new TextEncoder().encode(value);
export const readText = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
