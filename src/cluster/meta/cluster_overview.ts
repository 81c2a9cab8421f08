/**
 * The rows of `filestore cluster shards` and `filestore cluster nodes` (GET /cluster/shards and
 * /cluster/nodes on the admin port): the coordinator's state as this node's copy holds it (node
 * list, shard map, moves, leader hints), merged with what each node reports of its own replicas
 * now (applied index, keys, bytes, whether it leads). Pure: the admin endpoint gathers the reports
 * (src/admin/cluster_view_routes.ts) and renders the rows as JSON, part of the operator interface:
 *
 *   shard row: { "id", "range": [startHex, endHex], "epoch", "leader": name | null,
 *                "replicas": [{ "node", "role", "replica", "appliedIndex": number | null }],
 *                "keys", "bytes", "appliedIndex": number | null, "statsFrom": name | null,
 *                "moving": { "from", "to" } | null }
 *   node row:  { "id", "client", "peer", "admin", "state", "replicas", "leaders",
 *                "coordinatorState", "reachable": boolean | null, "problem": string | null }
 *   location:  { "partition", "hash", "shard", "replicas": [{ "node", "role" }], "leader": name | null,
 *                "range": [startHex, endHex], "epoch" }   (shard_map_json.ts, with range and epoch)
 *
 * Where each figure comes from:
 * - leader: the replica that says it leads (isLeader) with the highest term, when no replica of
 *   the shard reports a higher term (else that leader is a stale one, cut off from a newer
 *   election); failing that, the coordinator's leader hint, unless its node answered and does not
 *   say it leads in the newest term reported. Always a voter of the shard as the coordinator lists
 *   it, or null.
 * - keys, bytes, appliedIndex (and statsFrom, the node they come from): the leader's report when
 *   it has one, else the report of the replica with the highest applied index; 0, 0, null and
 *   null when no replica reported (every holder unreachable).
 * - A report counts only for a replica the coordinator lists, with the same replica id: a replica
 *   removed from its shard that still runs somewhere shows nowhere.
 * - node state: the coordinator's (joining, up, draining, removed), or "unreachable" when the node
 *   was asked for its report and did not give one (coordinatorState keeps the recorded state,
 *   problem says why); replicas: those the coordinator places on it; leaders: the shards whose
 *   leader (as above) it is. Removed nodes are listed (their names are never reused) and not asked.
 * Nodes print by the name the coordinator recorded (NodeRecord.name).
 */
import { formatRange } from "../placement/hash_range.ts";
import type { Location } from "../placement/locate.ts";
import {
  locationToJson, shardDescriptorToJson, type LocationJson, type ReplicaJson, type ShardDescriptorJson,
} from "../placement/shard_map_json.ts";
import { ShardMap, type ReplicaRole, type ShardDescriptor, type ShardId } from "../placement/shard_map.ts";
import type { NodeId } from "../raft/types.ts";
import type { CoordinatorMachine } from "./coordinator_machine.ts";
import type { NodeRecord, ReplicaId, ShardRecord } from "./coordinator_state.ts";

/** One replica as its node sees it now. */
export interface LocalReplicaStats {
  readonly shard: ShardId;
  /** The replica id its shard's group knows it by (coordinator_state.ts). */
  readonly replica: ReplicaId;
  readonly node: NodeId;
  /** Its role in its group's configuration as this replica applied it. */
  readonly role: ReplicaRole;
  readonly isLeader: boolean;
  readonly term: number;
  readonly appliedIndex: number;
  readonly commitIndex: number;
  /** Keys and bytes of values in the replica's state machine. */
  readonly keys: number;
  readonly bytes: number;
}

/** Every replica a node runs, as it reports them (GET /cluster/local-replicas). */
export interface NodeLocalReport {
  readonly node: NodeId;
  readonly replicas: readonly LocalReplicaStats[];
}

/**
 * What the admin endpoint of a sharded node reads of the running node (src/admin/admin_server.ts,
 * option clusterView): the node runtime implements it.
 */
export interface ShardedClusterSource {
  /** This node's id in the coordinator's node list. */
  readonly nodeId: NodeId;
  /** This node's copy of the coordinator's state (the meta group's machine). */
  readonly coordinator: CoordinatorMachine;
  /** This node's replicas now; cheap (read at every scrape and every cluster view). */
  localReport(): NodeLocalReport;
}

/** The reports gathered for one view: of the nodes that answered, and why each other node asked did not. */
export interface GatheredReports {
  readonly reports: ReadonlyMap<NodeId, NodeLocalReport>;
  readonly unreachable: ReadonlyMap<NodeId, string>;
}

interface ShardReplicaRowJson extends ReplicaJson {
  replica: number;
  appliedIndex: number | null;
}

export interface ShardRowJson extends ShardDescriptorJson {
  replicas: ShardReplicaRowJson[];
  keys: number;
  bytes: number;
  appliedIndex: number | null;
  statsFrom: string | null;
  moving: { from: string; to: string } | null;
}

export interface NodeRowJson {
  id: string;
  client: string;
  peer: string;
  admin: string;
  state: string;
  replicas: number;
  leaders: number;
  coordinatorState: NodeRecord["state"];
  reachable: boolean | null;
  problem: string | null;
}

/** Where a key lives, as `cluster locate` and GET /cluster/locate print it. */
export interface LocatedJson extends LocationJson {
  range: [string, string];
  epoch: number;
}

/** One shard as merged: its descriptor with the chosen leader, and the reports of its listed replicas. */
interface ShardView {
  readonly descriptor: ShardDescriptor;
  readonly record: ShardRecord;
  readonly stats: ReadonlyMap<ReplicaId, LocalReplicaStats>;
  readonly figures: LocalReplicaStats | undefined;
}

/** The nodes to ask for their reports: every node not removed, but `self`, whose report is at hand. */
export function nodesToAsk(machine: CoordinatorMachine, self: NodeId): NodeRecord[] {
  return machine.nodes().filter((node) => node.state !== "removed" && node.id !== self);
}

/** A shard row per shard, in range order; [] before bootstrap. */
export function shardRows(machine: CoordinatorMachine, gathered: GatheredReports): ShardRowJson[] {
  const nameOf = namer(machine);
  return shardViews(machine, gathered).map((view) => {
    const move = machine.move(view.record.id);
    const figures = view.figures;
    return {
      ...shardDescriptorToJson(view.descriptor, nameOf),
      replicas: view.record.replicas.map(({ node, role, replica }) => (
        { node: nameOf(node), role, replica, appliedIndex: view.stats.get(replica)?.appliedIndex ?? null }
      )),
      keys: figures?.keys ?? 0,
      bytes: figures?.bytes ?? 0,
      appliedIndex: figures?.appliedIndex ?? null,
      statsFrom: figures === undefined ? null : nameOf(figures.node),
      moving: move === undefined ? null : { from: nameOf(move.from), to: nameOf(move.to) },
    };
  });
}

/** A node row per node ever added, by id. */
export function nodeRows(machine: CoordinatorMachine, gathered: GatheredReports): NodeRowJson[] {
  const leaders = new Map<NodeId, number>();
  for (const { descriptor } of shardViews(machine, gathered)) {
    if (descriptor.leader !== undefined) leaders.set(descriptor.leader, (leaders.get(descriptor.leader) ?? 0) + 1);
  }
  return machine.nodes().map((node) => {
    const problem = gathered.unreachable.get(node.id) ?? null;
    const asked = problem !== null || gathered.reports.has(node.id);
    return {
      id: node.name,
      client: node.addresses.clientAddress,
      peer: node.addresses.peerAddress,
      admin: node.addresses.adminAddress,
      state: problem === null ? node.state : "unreachable",
      replicas: machine.replicasOn(node.id).length,
      leaders: leaders.get(node.id) ?? 0,
      coordinatorState: node.state,
      reachable: asked ? problem === null : null,
      problem,
    };
  });
}

/** The shard map with the leaders chosen as the rows show them (for locate); null before bootstrap. */
export function viewedShardMap(machine: CoordinatorMachine, gathered: GatheredReports): ShardMap | null {
  const map = machine.shardMap();
  if (map === null) return null;
  return new ShardMap(map.version, shardViews(machine, gathered).map((view) => view.descriptor));
}

/** The placement's location JSON (shard_map_json.ts) with the shard's range and epoch. */
export function locatedToJson(location: Location, nameOf: (node: NodeId) => string): LocatedJson {
  const { range, epoch } = location.shard;
  return { ...locationToJson(location, nameOf), range: formatRange(range), epoch };
}

/** How nodes print: the name the coordinator recorded (`n<id>` for an id it does not list, which cannot happen). */
export function namer(machine: CoordinatorMachine): (node: NodeId) => string {
  return (node) => machine.node(node)?.name ?? `n${node}`;
}

function shardViews(machine: CoordinatorMachine, gathered: GatheredReports): ShardView[] {
  const byShard = listedStats(machine, gathered);
  return (machine.shardMap()?.shards ?? []).map((hinted) => {
    const record = machine.shard(hinted.id)!;
    const stats = byShard.get(hinted.id) ?? new Map<ReplicaId, LocalReplicaStats>();
    const leader = chooseLeader(record, hinted.leader, [...stats.values()]);
    const { id, range, epoch, replicas } = hinted;
    const descriptor: ShardDescriptor = leader === undefined ? { id, range, epoch, replicas } : { ...hinted, leader };
    return { descriptor, record, stats, figures: figuresOf(leader, [...stats.values()]) };
  });
}

type StatsByReplica = Map<ReplicaId, LocalReplicaStats>;

/** The reports of replicas the coordinator lists (same shard, node and replica id), by shard and replica id. */
function listedStats(machine: CoordinatorMachine, gathered: GatheredReports): Map<ShardId, StatsByReplica> {
  const byShard = new Map<ShardId, StatsByReplica>();
  for (const report of gathered.reports.values()) {
    for (const stats of report.replicas) {
      const listed = machine.shard(stats.shard)?.replicas.find((replica) => replica.replica === stats.replica);
      if (listed === undefined || listed.node !== stats.node || stats.node !== report.node) continue;
      let shard = byShard.get(stats.shard);
      if (shard === undefined) byShard.set(stats.shard, (shard = new Map()));
      shard.set(stats.replica, stats);
    }
  }
  return byShard;
}

/** The leader as the head comment says: a claim no newer term contradicts, else a hint its own report does not deny. */
function chooseLeader(record: ShardRecord, hint: NodeId | undefined, stats: LocalReplicaStats[]): NodeId | undefined {
  const isVoter = (node: NodeId) => record.replicas.some((each) => each.node === node && each.role === "voter");
  const newestTerm = Math.max(0, ...stats.map((each) => each.term));
  let claim: LocalReplicaStats | undefined;
  for (const each of stats) {
    if (each.isLeader && isVoter(each.node) && (claim === undefined || each.term > claim.term)) claim = each;
  }
  if (claim !== undefined && claim.term >= newestTerm) return claim.node;
  const denied = (each: LocalReplicaStats) => each.node === hint && (!each.isLeader || each.term < newestTerm);
  return hint === undefined || stats.some(denied) ? undefined : hint;
}

/** Whose figures a row shows: the leader's, else the most applied replica's. */
function figuresOf(leader: NodeId | undefined, stats: LocalReplicaStats[]): LocalReplicaStats | undefined {
  const led = stats.find((each) => each.node === leader);
  if (led !== undefined) return led;
  let best: LocalReplicaStats | undefined;
  for (const each of stats) if (best === undefined || each.appliedIndex > best.appliedIndex) best = each;
  return best;
}
