/**
 * Node liveness in the simulation (quiescence on: WorldOptions.quiescence): each process of a
 * simulated node runs the real NodeLiveness (src/cluster/health/node_liveness.ts) on its own
 * simulated clock and tick scheduler, the one its driver ticks on, and its replica driver gets
 * the group's view of it (member ids are node ids in the simulator's one group), so the driver's
 * group goes quiet when idle and wakes as it would on a real node.
 *
 * Node heartbeats travel on the simulated network's links: one is lost when the link is blocked
 * (a partition), when the target is down, or by the network's drop probability (a separate seeded
 * draw, so a world's Raft traffic is the same with quiescence on or off); otherwise it arrives at
 * once, during the sender's tick. A crashed process's liveness dies with its clock; a restarted
 * one starts over, hearing nobody until their next heartbeats.
 */
import { NodeLiveness } from "../../src/cluster/health/node_liveness.ts";
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import type { NodeId } from "../../src/cluster/raft/types.ts";
import type { GroupLiveness } from "../../src/cluster/replica/group_quiescence.ts";
import type { TickScheduler } from "../../src/cluster/replica/tick_scheduler.ts";
import type { NodeHeartbeat } from "../../src/cluster/transport/types.ts";
import type { SimulatedClock } from "../../src/util/simulated_clock.ts";
import type { SimNetwork } from "./network.ts";

/** The world as node heartbeats see it. */
interface LivenessWorld {
  network: SimNetwork;
  /** Every node id the world has made (up or not). */
  nodeIds(): NodeId[];
  isUp(node: NodeId): boolean;
}

/** Node liveness timing matched to the simulator's Raft settings (world.ts simRaftConfig). */
export interface SimLivenessTiming {
  heartbeatIntervalTicks: number;
  lapseTicks: number;
}

export class SimLiveness {
  /** The liveness of each node's current process. */
  private readonly processes = new Map<NodeId, NodeLiveness>();
  heartbeatsDelivered = 0;

  constructor(
    private readonly world: LivenessWorld,
    private readonly random: RandomSource,
    private readonly timing: SimLivenessTiming,
  ) {}

  /** A new process of `node`: its node liveness on `clock` and `ticks`, and the view its driver gets. */
  join(node: NodeId, clock: SimulatedClock, ticks: TickScheduler): GroupLiveness {
    this.processes.get(node)?.close();
    const liveness = new NodeLiveness({
      nodeId: node, clock, ticks, send: (to, heartbeat) => this.carry(node, to, heartbeat), ...this.timing,
    });
    liveness.setNodes(this.world.nodeIds());
    this.processes.set(node, liveness);
    return liveness.view((member) => member);
  }

  /** The world made a node: every process heartbeats it from now on. */
  nodesChanged(): void {
    const nodes = this.world.nodeIds();
    for (const liveness of this.processes.values()) liveness.setNodes(nodes);
  }

  private carry(from: NodeId, to: NodeId, heartbeat: NodeHeartbeat): void {
    const network = this.world.network;
    if (!this.world.isUp(to) || network.isBlocked(from, to)) return;
    if (this.random() < network.faults.dropProbability) return;
    this.heartbeatsDelivered++;
    this.processes.get(to)?.heard(from, heartbeat);
  }
}
