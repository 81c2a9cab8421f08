/**
 * The KeyValueService of a node of a sharded cluster (what its client port serves): each request
 * goes to this node's replica of the shard that holds its key, which serves it as a replica of a
 * single group does (replicated_service.ts: NOT_LEADER with the leader's client address, strong
 * reads by ReadIndex, writes deduplicated by identity).
 *
 * Routing checks (key_value_service.ts, "Routing"), against this node's copy of the
 * coordinator's shard map; nothing is applied when one fails:
 * - a request routed by a shard or epoch that is not the current one for its key, or for a shard
 *   this node holds no running replica of: WRONG_SHARD carrying the descriptor of the shard that
 *   covers the key (and the nodes it names), so the client patches that one entry;
 * - routed by an epoch newer than this node knows (its copy of the map is behind): WRONG_SHARD
 *   with no descriptor, so the client refreshes its map elsewhere;
 * - a batch whose keys lie in more than one shard: INVALID_REQUEST naming the shards (atomicity
 *   across shards comes with transactions);
 * - a scan must name its shard (the routing client splits a scan by shard and merges the pieces);
 *   it returns that shard's keys only, since each replica has an engine of its own.
 * Before the cluster is bootstrapped every request, the shard map's included, is UNAVAILABLE
 * (clients retry; connect() waits for the map).
 */
import type { Command, CommandResult, Entry, FoundValue, ScanOptions, ScanPage } from "../../engine/types.ts";
import {
  ServiceError, WrongShardError, type KeyValueService, type ReadContext, type WriteContext,
} from "../../net/key_value_service.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import { shardOfKey } from "../placement/locate.ts";
import type { ShardDescriptor, ShardMap } from "../placement/shard_map.ts";
import type { ShardReplica } from "./shard_replica.ts";

/** The answer to a shard-map request, as the service interface gives it (the wire's ShardMapValue). */
type ShardMapValue = NonNullable<Awaited<ReturnType<NonNullable<KeyValueService["shardMap"]>>>>;
type ClusterNodeValue = ShardMapValue["nodes"][number];

/** What the service needs of the node: its copy of the coordinator's state, its running replicas. */
interface ShardedServiceSource {
  readonly coordinator: CoordinatorMachine;
  replica(shard: number): ShardReplica | undefined;
  /** Refreshes the leader hints of the shards this node holds (before a map is handed out). */
  reportLeaders(): void;
}

export class ShardedKeyValueService implements KeyValueService {
  constructor(private readonly source: ShardedServiceSource) {}

  get(key: Uint8Array, context: ReadContext): Entry | null | Promise<Entry | null> {
    return this.replicaForKey(key, context).service.get(key, context);
  }

  getAt(
    bytes: Uint8Array, start: number, end: number, context: ReadContext,
  ): FoundValue | null | Promise<FoundValue | null> {
    return this.replicaForKey(bytes.subarray(start, end), context).service.getAt(bytes, start, end, context);
  }

  scan(options: ScanOptions, context: ReadContext): ScanPage | Promise<ScanPage> {
    const shardId = context.shard ?? 0;
    if (shardId === 0) {
      const advice = "(the routing client splits scans by shard)";
      throw new ServiceError("INVALID_REQUEST", `a scan on a sharded cluster names its shard ${advice}`);
    }
    const map = this.map();
    const shard = map.shards.find((descriptor) => descriptor.id === shardId);
    if (shard === undefined) throw new WrongShardError(`shard ${shardId} is not in this node's shard map`, [], []);
    return this.replicaOf(shard, context).service.scan(options, context);
  }

  apply(command: Command): Promise<CommandResult> {
    const context = { deadlineAtMs: Infinity, sessionId: null, sequence: 0, oldestPendingSequence: 0 };
    return this.applyWithContext(command, context);
  }

  applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
    try {
      const key = command.op === "batch" ? this.batchKey(command.commands) : command.key;
      return this.replicaForKey(key, context).service.applyWithContext(command, context);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The map; UNAVAILABLE before the bootstrap (never "not sharded": a client would then route as to one group). */
  shardMap(): ShardMapValue {
    this.source.reportLeaders();
    const map = this.map();
    const nodes = this.source.coordinator.nodes();
    const silent = nodes.filter((node) => node.state === "up" && node.addresses.clientAddress === "");
    if (silent.length > 0) {
      const names = silent.map((node) => node.name).join(", ");
      throw new ServiceError("UNAVAILABLE", `the cluster is starting: ${names} not serving clients yet`);
    }
    return { version: map.version, shards: map.shards, nodes: this.nodesOf(map.shards) };
  }

  /** The key of a batch all of whose keys lie in one shard; INVALID_REQUEST naming the shards otherwise. */
  private batchKey(commands: ReadonlyArray<{ key: Uint8Array }>): Uint8Array {
    if (commands.length === 0) throw new ServiceError("INVALID_REQUEST", "a batch holds at least one command");
    const map = this.map();
    const shards = new Set(commands.map((inner) => shardOfKey(inner.key, map).id));
    if (shards.size > 1) {
      const named = [...shards].sort((a, b) => a - b).join(", ");
      const later = "(atomic writes across shards come with transactions)";
      const message = `a batch's keys must lie in one shard; these lie in shards ${named} ${later}`;
      throw new ServiceError("INVALID_REQUEST", message);
    }
    return commands[0]!.key;
  }

  private replicaForKey(key: Uint8Array, context: ReadContext | WriteContext): ShardReplica {
    return this.replicaOf(shardOfKey(key, this.map()), context);
  }

  /** This node's replica of `shard` when the request was routed right; WRONG_SHARD otherwise. */
  private replicaOf(shard: ShardDescriptor, context: ReadContext | WriteContext): ShardReplica {
    const routedShard = context.shard ?? 0;
    const routedEpoch = context.shardEpoch ?? 0;
    if (routedShard === shard.id && routedEpoch > shard.epoch) {
      const behind = `shard ${shard.id} epoch ${routedEpoch} is newer than this node knows (${shard.epoch})`;
      throw new WrongShardError(behind, [], []);
    }
    const routedRight = routedShard === 0 || (routedShard === shard.id && routedEpoch === shard.epoch);
    const replica = this.source.replica(shard.id);
    if (routedRight && replica !== undefined) return replica;
    const why = replica === undefined
      ? "this node holds no replica of it"
      : `the request was routed by shard ${routedShard} epoch ${routedEpoch}`;
    // `shard` is the map's current descriptor, leader hint included: what the client patches in.
    const message = `the key lies in shard ${shard.id} epoch ${shard.epoch}; ${why}`;
    throw new WrongShardError(message, [shard], this.nodesOf([shard]));
  }

  private map(): ShardMap {
    const map = this.source.coordinator.shardMap();
    if (map === null) {
      throw new ServiceError("UNAVAILABLE", "the cluster is not bootstrapped yet (its coordinator is starting)");
    }
    return map;
  }

  /** The nodes `shards` name, with their client addresses. */
  private nodesOf(shards: readonly ShardDescriptor[]): ClusterNodeValue[] {
    const ids = new Set(shards.flatMap((shard) => shard.replicas.map((replica) => replica.node)));
    const nodes: ClusterNodeValue[] = [];
    for (const node of this.source.coordinator.nodes()) {
      if (!ids.has(node.id) || node.state === "removed") continue;
      nodes.push({ id: node.id, name: node.name, clientAddress: node.addresses.clientAddress });
    }
    return nodes;
  }
}
