/**
 * A sharded cluster as its admin endpoints show it, without Raft: real admin servers on
 * 127.0.0.1 (port 0), each given a fake ShardedClusterSource whose coordinator machine is built by
 * applying a real bootstrap command that names the servers' bound admin addresses. The local
 * reports are plain data the test sets. A node may instead be served by a stand-in that never
 * answers until released (hung) or answers fixed text (a broken node), or be stopped.
 */
import type { Server } from "bun";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import type { NodeLocalReport, ShardedClusterSource } from "../../src/cluster/meta/cluster_overview.ts";
import type { NodeSpec } from "../../src/cluster/meta/coordinator_command.ts";
import { CoordinatorMachine } from "../../src/cluster/meta/coordinator_machine.ts";
import type { NodeId } from "../../src/cluster/raft/types.ts";
import { Latch } from "../support/latch.ts";
import { accept } from "../cluster/meta/coordinator_fixtures.ts";

/** How a node's admin address answers: a real admin server, a stand-in held until released, or fixed text. */
export type NodeMode = "admin" | "hung" | { answer: string };

interface Options {
  nodes: number;
  shards: number;
  /** Per node id (1-based); "admin" when not given. */
  modes?: Record<number, NodeMode>;
}

export class ShardedFixture {
  /** Every node's copy of the coordinator's state (one shared copy is enough for a view). */
  machine = new CoordinatorMachine();
  /** While true, every node's clusterView is null: the node runtime has not started yet. */
  starting = false;
  readonly reports = new Map<NodeId, NodeLocalReport>();
  readonly admins = new Map<NodeId, string>();
  private readonly servers = new Map<NodeId, AdminServer>();
  private readonly standIns: Server<undefined>[] = [];
  /** Holds the hung stand-ins' answers until opened (at the latest by close). */
  readonly hung = new Latch();
  /** Requests the hung stand-ins have received. */
  hungAsked = 0;

  static async start(options: Options): Promise<ShardedFixture> {
    const fixture = new ShardedFixture();
    for (let node = 1; node <= options.nodes; node++) {
      fixture.admins.set(node, fixture.serve(node, options.modes?.[node] ?? "admin"));
      fixture.reports.set(node, { node, replicas: [] });
    }
    const nodes: NodeSpec[] = [...fixture.admins].map(([id, admin]) => nodeSpec(id, admin));
    const factors = { replicationFactor: Math.min(3, options.nodes), metaVoters: 1 };
    await accept(fixture.machine, { kind: "bootstrap", clusterId: "c", shardCount: options.shards, ...factors, nodes });
    return fixture;
  }

  admin(node: NodeId): string {
    return this.admins.get(node)!;
  }

  /** Stops node's admin server: its address then refuses connections. */
  async stop(node: NodeId): Promise<void> {
    await this.servers.get(node)!.close();
    this.servers.delete(node);
  }

  async close(): Promise<void> {
    this.hung.open();
    for (const server of this.servers.values()) await server.close();
    for (const standIn of this.standIns) await standIn.stop(true);
  }

  private source(node: NodeId): ShardedClusterSource {
    return { nodeId: node, coordinator: this.machine, localReport: () => this.reports.get(node)! };
  }

  private serve(node: NodeId, mode: NodeMode): string {
    if (mode === "admin") {
      const server = startAdminServer({
        host: "127.0.0.1",
        port: 0,
        metrics: new ServerMetrics(),
        engineStats: () => null,
        isServing: () => true,
        clusterView: () => (this.starting ? null : this.source(node)),
      });
      this.servers.set(node, server);
      return `127.0.0.1:${server.port}`;
    }
    const hung = this.hung;
    const standIn = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        if (mode === "hung") {
          this.hungAsked++;
          await hung.wait();
        }
        return new Response(mode === "hung" ? "{}" : mode.answer, { headers: { "content-type": "application/json" } });
      },
    });
    this.standIns.push(standIn);
    return `127.0.0.1:${standIn.port}`;
  }
}

/** Node `id`, named n<id>, with its admin endpoint at `admin` and other addresses that name it. */
function nodeSpec(id: NodeId, admin: string): NodeSpec {
  const addresses = { clientAddress: `127.0.0.${id}:7000`, peerAddress: `127.0.0.${id}:7100`, adminAddress: admin };
  return { id, name: `n${id}`, addresses };
}
