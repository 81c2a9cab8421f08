/**
 * Nodes of a sharded cluster in the test process, each assembled as `filestore serve --shards`
 * assembles one: the ShardedNode, its admin endpoint (for coordinator commands forwarded to the
 * meta leader) and its client port, all on 127.0.0.1. Peer ports are chosen free before start
 * (every node must know the others' addresses); data lives in a temp folder removed at close.
 * A node can be stopped and started again on its data and ports. A node can also join the running
 * cluster as `serve --join` does (addJoiningNode), through any member's peer port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAdminServer, type AdminServer } from "../../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../../src/admin/server_metrics.ts";
import { ShardedNode, type ShardedNodeOptions } from "../../../src/cluster/node/sharded_node.ts";
import type { HostPort } from "../../../src/config/address.ts";
import { startServer, type RunningServer } from "../../../src/net/server.ts";
import { findFreePort } from "../../../bench/lib/free_port.ts";
import { waitFor } from "../../support/wait_for.ts";

export interface HarnessNode {
  id: number;
  node: ShardedNode | null;
  admin: AdminServer | null;
  server: RunningServer | null;
  clientPort: number;
  adminPort: number;
  /** A node that joined the running cluster: its own peer address and the member it asked first. */
  joining?: { peer: HostPort; through: HostPort };
}

export class ShardedHarness {
  readonly directory = mkdtempSync(join(tmpdir(), "filestore-sharded-"));
  readonly nodes = new Map<number, HarnessNode>();
  private readonly peers = new Map<number, HostPort>();

  private constructor(
    private readonly shards: number,
    private readonly snapshots: Pick<ShardedNodeOptions, "snapshotEveryEntries" | "metaEntriesKeptAfterSnapshot">,
  ) {}

  static async start(
    nodeCount: number,
    shards: number,
    snapshots: Pick<ShardedNodeOptions, "snapshotEveryEntries" | "metaEntriesKeptAfterSnapshot"> = {},
  ): Promise<ShardedHarness> {
    const harness = new ShardedHarness(shards, snapshots);
    for (let id = 1; id <= nodeCount; id++) {
      harness.peers.set(id, { host: "127.0.0.1", port: findFreePort() });
      const ports = { clientPort: findFreePort(), adminPort: findFreePort() };
      harness.nodes.set(id, { id, node: null, admin: null, server: null, ...ports });
    }
    await Promise.all([...harness.nodes.keys()].map((id) => harness.startNode(id)));
    return harness;
  }

  /**
   * Starts node `id` as `serve --join` would, through the peer port of member `through` (or any
   * address); resolves once it has joined and serves, rejects as the join does (nothing kept).
   */
  async addJoiningNode(id: number, through: number | HostPort): Promise<ShardedNode> {
    const address = typeof through === "number" ? this.peerAddress(through) : through;
    const ports = { clientPort: findFreePort(), adminPort: findFreePort() };
    const joining = { peer: { host: "127.0.0.1", port: findFreePort() }, through: address };
    this.nodes.set(id, { id, node: null, admin: null, server: null, ...ports, joining });
    try {
      return await this.startNode(id);
    } catch (error) {
      this.nodes.delete(id);
      throw error;
    }
  }

  /** The peer address of node `id`. */
  peerAddress(id: number): HostPort {
    return this.nodes.get(id)?.joining?.peer ?? this.peers.get(id)!;
  }

  async startNode(id: number): Promise<ShardedNode> {
    const entry = this.nodes.get(id)!;
    const joining = entry.joining;
    const node = await ShardedNode.start({
      nodeId: id,
      peers: joining === undefined ? this.peers : new Map(),
      join: joining?.through,
      peerListen: joining?.peer,
      dataDir: join(this.directory, `n${id}`),
      fsync: "unsafe-no-fsync",
      shards: joining === undefined ? this.shards : 0,
      ...this.snapshots,
    });
    entry.node = node;
    entry.admin = startAdminServer({
      host: "127.0.0.1", port: entry.adminPort, metrics: new ServerMetrics(), engineStats: () => null,
      isServing: () => entry.server !== null, sharded: () => entry.node,
      clusterView: () => entry.node,
    });
    const service = node.service;
    entry.server = await startServer({ host: "127.0.0.1", port: entry.clientPort, service, logError: () => {} });
    node.setAddresses(`127.0.0.1:${entry.clientPort}`, `127.0.0.1:${entry.adminPort}`);
    return node;
  }

  /**
   * POST /cluster/move-replica as `filestore cluster move-replica` sends it, to node 1's admin
   * endpoint, following the redirect to the coordinator's leader; the answer's status and JSON.
   */
  async postMove(shard: number, from: string, to: string): Promise<{ status: number; body: Record<string, unknown> }> {
    let admin = `127.0.0.1:${this.nodes.get(1)!.adminPort}`;
    for (let hop = 0; hop < 3; hop++) {
      const url = `http://${admin}/cluster/move-replica?shard=${shard}&from=${from}&to=${to}`;
      const response = await fetch(url, { method: "POST" });
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status !== 421) return { status: response.status, body };
      admin = String(body.leaderAdmin);
    }
    throw new Error("no coordinator leader found");
  }

  /**
   * Waits until every running node's copy of the coordinator shows the move of `shard` from `from`
   * to `to` ended: `to` holds a voter, `from` nothing, no move running. (Not merely "no move": a
   * node whose copy lags has not seen the move begin.)
   */
  async untilMoveEnded(shard: number, from: number, to: number): Promise<void> {
    for (const entry of this.nodes.values()) {
      const ended = () => {
        const coordinator = entry.node?.coordinator;
        if (coordinator === undefined) return true;
        const replicas = coordinator.shard(shard)?.replicas ?? [];
        const targetVoter = replicas.some((replica) => replica.node === to && replica.role === "voter");
        const sourceGone = replicas.every((replica) => replica.node !== from);
        return coordinator.move(shard) === undefined && targetVoter && sourceGone;
      };
      await waitFor(ended, `n${entry.id} seeing the move of shard ${shard} from n${from} to n${to} end`);
    }
  }

  async stopNode(id: number): Promise<void> {
    const entry = this.nodes.get(id)!;
    await entry.server?.close();
    await entry.admin?.close();
    await entry.node?.close();
    Object.assign(entry, { server: null, admin: null, node: null });
  }

  node(id: number): ShardedNode {
    return this.nodes.get(id)!.node!;
  }

  clientAddresses(): string[] {
    const running = [...this.nodes.values()].filter((entry) => entry.server !== null);
    return running.map((entry) => `127.0.0.1:${entry.clientPort}`);
  }

  /** Waits until every running node's copy of the coordinator is bootstrapped and lists every node's client address. */
  async untilReady(): Promise<void> {
    await waitFor(() => [...this.nodes.values()].every((entry) => {
      const coordinator = entry.node?.coordinator;
      if (coordinator === undefined) return true;
      return coordinator.bootstrapped && coordinator.nodes().every((node) => node.addresses.clientAddress !== "");
    }), "the cluster bootstrapped with every node's addresses");
  }

  async close(): Promise<void> {
    for (const id of this.nodes.keys()) await this.stopNode(id);
    rmSync(this.directory, { recursive: true, force: true });
  }
}
