/**
 * A sharded cluster as the routing client sees it, in the test process: several client-port
 * servers on 127.0.0.1 (port 0), one per node, that answer by a shard map the test controls (the
 * "truth") as the multi-group node will: a request for a shard the node holds no replica of, or
 * routed by another shard or epoch, gets WRONG_SHARD with the shard's current descriptor; one
 * reaching a follower gets NOT_LEADER naming the leader; one reaching the leader is served. The
 * data is one MemoryService every replica shares (replication is not what these tests are about);
 * a scan naming a shard returns that shard's keys only. Every request a node sees is logged
 * (node, operation, key, routing, answer, write identity), so tests count hops and retries.
 */
import type { Command, CommandResult, Entry, ScanOptions, ScanPage } from "../../src/engine/types";
import { equalRanges, rangeContains } from "../../src/cluster/placement/hash_range";
import { partitionHashOf } from "../../src/cluster/placement/partition_hash";
import { partitionKeyOf } from "../../src/cluster/placement/partition_key";
import { ShardMap, type ShardDescriptor } from "../../src/cluster/placement/shard_map";
import {
  ServiceError, WrongShardError, type KeyValueService, type ReadContext, type WriteContext,
} from "../../src/net/key_value_service";
import type { ClusterNodeValue, ShardMapValue } from "../../src/net/messages";
import { startServer, type RunningServer } from "../../src/net/server";
import { MemoryService } from "../net/memory_service";

export type Answer = "served" | "NOT_LEADER" | "WRONG_SHARD" | "UNAVAILABLE";

export interface Seen {
  node: number;
  op: string;
  key: string;
  shard: number;
  epoch: number;
  answer: Answer;
  /** A write's (session, sequence), as the session's text and the number. */
  identity: Identity | null;
  /** A write's oldest pending sequence (0 for other requests). */
  oldestPending: number;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

/** The descriptor holding `key` in `map`. */
export function shardOf(map: ShardMap, key: string | Uint8Array): ShardDescriptor {
  const bytes = typeof key === "string" ? new TextEncoder().encode(key) : key;
  return map.lookup(partitionHashOf(partitionKeyOf(bytes)));
}

/** `count` keys `${prefix}/u<i>/k` that lie in shard `id` of `map`, found by trying owners in turn. */
export function keysInShard(map: ShardMap, id: number, count: number, prefix = "t"): string[] {
  const keys: string[] = [];
  for (let owner = 0; keys.length < count && owner < 100_000; owner++) {
    const key = `${prefix}/u${owner}/k`;
    if (shardOf(map, key).id === id) keys.push(key);
  }
  if (keys.length < count) throw new Error(`no ${count} keys in shard ${id}`);
  return keys;
}

/** `count` equal shards over the nodes 1..nodes, every node a voter of each, leaders taking turns. */
export function equalShards(count: number, nodes: number): ShardDescriptor[] {
  const voters = Array.from({ length: nodes }, (_, index) => ({ node: index + 1, role: "voter" as const }));
  return equalRanges(count).map((range, index) => ({
    id: index + 1, range, epoch: 1, replicas: voters, leader: (index % nodes) + 1,
  }));
}

class FakeNodeService implements KeyValueService {
  /** Answer WRONG_SHARD without descriptors (a node whose copy of the map is behind). */
  knowsNoDescriptors = false;
  /** Answer UNAVAILABLE to everything (a node whose groups hold an election). */
  unavailable = false;

  constructor(private readonly cluster: FakeCluster, readonly id: number) {}

  get(key: Uint8Array, context: ReadContext): Entry | null | Promise<Entry | null> {
    this.check("get", key, context, null);
    return this.cluster.store.get(key);
  }

  scan(options: ScanOptions, context: ReadContext): ScanPage {
    const shard = this.cluster.map.shards.find((descriptor) => descriptor.id === context.shard);
    const routedRight = shard !== undefined && shard.epoch === context.shardEpoch;
    const answer = this.answer(shard, routedRight);
    const routing = { shard: context.shard ?? 0, epoch: context.shardEpoch ?? 0 };
    this.cluster.note({ node: this.id, op: "scan", key: "", ...routing, answer, identity: null, oldestPending: 0 });
    this.refuse(answer, shard === undefined ? [] : [shard]);
    // All keys of the shard in order, then the page: the store's own scan, filtered to the shard's range.
    const all = this.cluster.store.scan({ ...options, limit: Number.MAX_SAFE_INTEGER }) as ScanPage;
    const mine = all.entries.filter((entry) => rangeContains(shard!.range, partitionHashOf(partitionKeyOf(entry.key))));
    const page = mine.slice(0, options.limit);
    return { entries: page, nextCursor: mine.length > options.limit ? page.at(-1)!.key : null };
  }

  async apply(): Promise<CommandResult> {
    throw new Error("the fake node takes writes through applyWithContext");
  }

  applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
    const keys = command.op === "batch" ? command.commands.map((inner) => inner.key) : [command.key];
    const identity: Identity | null = context.sessionId === null ? null : [text(context.sessionId), context.sequence];
    try {
      this.check(command.op, keys[0]!, context, identity);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.cluster.store.apply(command);
  }

  shardMap(): ShardMapValue {
    this.cluster.mapRequests++;
    return this.cluster.mapValue();
  }

  private check(op: string, key: Uint8Array, context: ReadContext | WriteContext, identity: Identity | null): void {
    const shard = shardOf(this.cluster.map, key);
    const routedRight = context.shard === shard.id && context.shardEpoch === shard.epoch;
    const answer = this.answer(shard, routedRight);
    const oldestPending = "oldestPendingSequence" in context ? context.oldestPendingSequence : 0;
    const routing = { shard: context.shard ?? 0, epoch: context.shardEpoch ?? 0 };
    this.cluster.note({ node: this.id, op, key: text(key), ...routing, answer, identity, oldestPending });
    this.refuse(answer, [shard]);
  }

  private answer(shard: ShardDescriptor | undefined, routedRight: boolean): Answer {
    if (this.unavailable) return "UNAVAILABLE";
    const holds = shard?.replicas.some((replica) => replica.node === this.id) ?? false;
    if (shard === undefined || !routedRight || !holds) return "WRONG_SHARD";
    return shard.leader === this.id ? "served" : "NOT_LEADER";
  }

  private refuse(answer: Answer, shards: ShardDescriptor[]): void {
    if (answer === "served") return;
    if (answer === "UNAVAILABLE") throw new ServiceError("UNAVAILABLE", "an election is under way");
    if (answer === "NOT_LEADER") {
      const leader = shards[0]!.leader;
      const hint = leader === undefined ? "" : this.cluster.addressOf(leader);
      throw new ServiceError("NOT_LEADER", "this replica follows", hint);
    }
    if (this.knowsNoDescriptors) throw new WrongShardError("this node's map is behind", [], []);
    throw new WrongShardError("not served here at that epoch", shards, this.cluster.nodesOf(shards));
  }
}

/** A write's (session, sequence): the session as text, and the number. */
type Identity = [string, number];

function nodeValue(node: FakeNode): ClusterNodeValue {
  return { id: node.id, name: `n${node.id}`, clientAddress: node.address };
}

export interface FakeNode {
  id: number;
  address: string;
  server: RunningServer;
  service: FakeNodeService;
}

export class FakeCluster {
  readonly store = new MemoryService();
  readonly nodes: FakeNode[] = [];
  readonly seen: Seen[] = [];
  mapRequests = 0;

  private constructor(public map: ShardMap) {}

  /** `nodeCount` nodes (ids 1..n, named n1..) serving `shards` (equalShards by default). */
  static async start(nodeCount: number, shards: ShardDescriptor[] = equalShards(8, nodeCount)): Promise<FakeCluster> {
    const cluster = new FakeCluster(new ShardMap(1, shards));
    for (let id = 1; id <= nodeCount; id++) {
      const service = new FakeNodeService(cluster, id);
      const server = await startServer({ host: "127.0.0.1", port: 0, service, logError: () => {} });
      cluster.nodes.push({ id, address: `127.0.0.1:${server.port}`, server, service });
    }
    return cluster;
  }

  /** Changes the truth: from now on nodes answer by `shards` at map version `version`. */
  setShards(shards: ShardDescriptor[], version = this.map.version + 1): void {
    this.map = new ShardMap(version, shards);
  }

  /** The truth with shard `id` replaced by `change(shard)` (a new leader, new replicas, a bumped epoch). */
  changeShard(id: number, change: (shard: ShardDescriptor) => ShardDescriptor): void {
    this.setShards(this.map.shards.map((shard) => (shard.id === id ? change(shard) : shard)), this.map.version);
  }

  note(seen: Seen): void {
    this.seen.push(seen);
  }

  addresses(): string[] {
    return this.nodes.map((node) => node.address);
  }

  addressOf(id: number): string {
    return this.nodes.find((node) => node.id === id)!.address;
  }

  nodesOf(shards: ShardDescriptor[]): ClusterNodeValue[] {
    const ids = new Set(shards.flatMap((shard) => shard.replicas.map((replica) => replica.node)));
    return this.nodes.filter((node) => ids.has(node.id)).map(nodeValue);
  }

  mapValue(): ShardMapValue {
    const nodes = this.nodes.map(nodeValue);
    return { version: this.map.version, shards: this.map.shards, nodes };
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.server.close();
  }
}
