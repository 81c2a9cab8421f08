/**
 * The routing client's copy of a sharded cluster: the shard map (src/cluster/placement/), the
 * nodes it names with their client addresses, and per shard the replica believed to lead. Routing
 * a key is the partition hash, a binary search of the map and one Map lookup (routeOf), with no
 * allocation once the shard's route exists.
 *
 * What comes from the cluster is checked as placement data from outside (ShardMap.fromOutside,
 * checkedDescriptor): a map or descriptor that breaks the rules is refused with ShardMapError and
 * changes nothing. The view only moves forward: a fetched map older than the one held is ignored,
 * and descriptors learnt since (patched in from WRONG_SHARD replies) stay when they are newer
 * than the fetched map's entries. `generation` counts the changes, so a caller can tell whether
 * the map moved since it routed a request (map_refresh.ts).
 */
import type { ClusterNodeValue, ShardDescriptorValue, ShardMapValue } from "../net/messages.ts";
import { shardOfKey } from "../cluster/placement/locate.ts";
import { checkedDescriptor, ShardMap, type ShardDescriptor } from "../cluster/placement/shard_map.ts";
import { ShardMapError } from "../cluster/placement/shard_map_error.ts";
import { compareHashes } from "../cluster/placement/partition_hash.ts";
import { nodeIdMax } from "../cluster/placement/placement_limits.ts";
import { formatAddress, parseAddress } from "./address.ts";
import type { ClientCore } from "./client.ts";

interface NodeEntry {
  readonly name: string;
  /** HOST:PORT of its client port, as formatAddress prints it. */
  readonly address: string;
}

/** How requests for one shard descriptor are sent: to the replica believed to lead, over its connection once open. */
export class ShardRoute {
  /** Client address of the replica believed to lead; null when no replica's address is known. */
  leader: string | null;
  /** The open connection to `leader`, kept here so routing is one lookup; set by the router. */
  connection: ClientCore | null = null;
  private nextReplica = 0;

  /** `known`: the route of the same shard in the map before, whose leader is kept when `descriptor` names none. */
  constructor(readonly descriptor: ShardDescriptor, private readonly view: ClusterView, known?: ShardRoute) {
    this.leader = descriptor.leader === undefined ? null : view.addressOf(descriptor.leader);
    if (this.leader === null && known !== undefined) {
      this.leader = known.leader;
      this.connection = known.connection;
    }
    this.leader ??= this.replicaAddresses()[0] ?? null;
  }

  /** Moves to the next replica with a known address (after UNAVAILABLE, a NOT_LEADER without hint, a node down). */
  tryNextReplica(): void {
    const addresses = this.replicaAddresses();
    if (addresses.length === 0) return;
    const current = this.leader === null ? -1 : addresses.indexOf(this.leader);
    this.nextReplica = current >= 0 ? current + 1 : this.nextReplica + 1;
    this.follow(addresses[this.nextReplica % addresses.length]!);
  }

  /** Sends from now on to `address` (a NOT_LEADER hint). */
  follow(address: string): void {
    if (address === this.leader) return;
    this.leader = address;
    this.connection = null;
  }

  /** Voters first (a leader is one), then learners; replicas whose node has no known address are left out. */
  private replicaAddresses(): string[] {
    const ordered = [...this.descriptor.replicas].sort((a, b) => (a.role === b.role ? 0 : a.role === "voter" ? -1 : 1));
    return ordered.map((replica) => this.view.addressOf(replica.node)).filter((address) => address !== null);
  }
}

export class ClusterView {
  private map: ShardMap;
  private readonly nodes = new Map<number, NodeEntry>();
  private routes = new Map<ShardDescriptor, ShardRoute>();
  /** Grows with every change of the map: a request routed at an older generation may route elsewhere now. */
  generation = 0;

  /** The view of a map received from a node; ShardMapError when it breaks the rules. */
  constructor(value: ShardMapValue) {
    this.map = ShardMap.fromOutside(value.version, value.shards);
    this.learnNodes(value.nodes);
  }

  get version(): number {
    return this.map.version;
  }

  get shards(): readonly ShardDescriptor[] {
    return this.map.shards;
  }

  /** The route of the shard holding `key`: the client's routing step, run for every request. */
  routeOf(key: Uint8Array): ShardRoute {
    return this.routeOfShard(shardOfKey(key, this.map));
  }

  routeOfShard(descriptor: ShardDescriptor): ShardRoute {
    let route = this.routes.get(descriptor);
    if (route === undefined) {
      route = new ShardRoute(descriptor, this);
      this.routes.set(descriptor, route);
    }
    return route;
  }

  /** The shard holding `key` (no route made). */
  shardOf(key: Uint8Array): ShardDescriptor {
    return shardOfKey(key, this.map);
  }

  /** Client addresses of every node known, for fetching the map from any of them. */
  nodeAddresses(): string[] {
    return [...this.nodes.values()].map((node) => node.address);
  }

  addressOf(node: number): string | null {
    return this.nodes.get(node)?.address ?? null;
  }

  /**
   * Applies what a WRONG_SHARD reply carries: its nodes, then each descriptor newer than what
   * the map holds over its range (ShardMap.patch). True when the map changed; a malformed
   * descriptor or node is skipped (the caller then fetches the whole map).
   */
  patch(shards: readonly ShardDescriptorValue[], nodes: readonly ClusterNodeValue[]): boolean {
    this.learnNodes(nodes);
    let map = this.map;
    for (const shard of shards) {
      try {
        map = map.patch(checkedDescriptor(shard));
      } catch (error) {
        if (!(error instanceof ShardMapError)) throw error;
      }
    }
    return this.replaceMap(map);
  }

  /**
   * Takes a whole map fetched from a node, unless it is older than the one held. Descriptors
   * learnt since from WRONG_SHARD replies are patched back in where they are newer. True when
   * the map changed. ShardMapError when the fetched map breaks the rules.
   */
  adopt(value: ShardMapValue): boolean {
    const fetched = ShardMap.fromOutside(value.version, value.shards);
    this.learnNodes(value.nodes);
    if (fetched.version < this.map.version) return false;
    let merged = fetched;
    for (const held of this.map.shards) {
      const there = merged.lookup(held.range.start);
      if (there.id === held.id && there.epoch === held.epoch) continue;
      merged = merged.patch(held);
    }
    return this.replaceMap(merged);
  }

  /** Makes `map` current; routes of shards still in it (the same entry, perhaps a new object) keep what they learnt. */
  private replaceMap(map: ShardMap): boolean {
    if (map === this.map) return false;
    const before = new Map<number, ShardRoute[]>();
    for (const route of this.routes.values()) {
      const id = route.descriptor.id;
      before.set(id, [...(before.get(id) ?? []), route]);
    }
    const kept = new Map<ShardDescriptor, ShardRoute>();
    for (const shard of map.shards) {
      const known = before.get(shard.id)?.find((route) => sameShard(route.descriptor, shard));
      if (known === undefined) continue;
      kept.set(shard, known.descriptor === shard ? known : new ShardRoute(shard, this, known));
    }
    const changed = map.shards.length !== this.map.shards.length
      || map.shards.some((shard, index) => !sameShard(shard, this.map.shards[index]!));
    this.map = map;
    this.routes = kept;
    if (changed) this.generation++;
    return changed;
  }

  /** Adds or replaces nodes by id; one with a bad id or address is skipped. */
  private learnNodes(nodes: readonly ClusterNodeValue[]): void {
    for (const node of nodes) {
      if (!Number.isInteger(node.id) || node.id < 1 || node.id > nodeIdMax) continue;
      let address: string;
      try {
        address = formatAddress(parseAddress(node.clientAddress));
      } catch {
        continue;
      }
      this.nodes.set(node.id, { name: node.name, address });
    }
  }
}

/** Whether two descriptors are the same entry of the map (same shard at the same epoch and range). */
export function sameShard(a: ShardDescriptor, b: ShardDescriptor): boolean {
  return a.id === b.id && a.epoch === b.epoch && compareHashes(a.range.start, b.range.start) === 0
    && compareHashes(a.range.end, b.range.end) === 0;
}
