/**
 * The shard map (docs/glossary.md): every shard with its range, epoch, replicas and leader, and
 * a version for the map as a whole. Clients route by it; nodes check requests against it.
 *
 * Invariants of a map: it holds shardsMin..shardsMax descriptors, sorted by range; their ranges
 * cover the hash space exactly (the first starts at 0, each ends where the next starts, the last
 * ends at the end of space), so every hash lies in exactly one of them. The constructor asserts
 * this (a map we build wrong is our bug); ShardMap.fromOutside checks it and more, throwing
 * ShardMapError, for maps received from the coordinator or read from a document.
 *
 * Epoch rule (the coordinator keeps it; patch relies on it): a shard's epoch grows whenever its
 * range or its replicas change, and when ranges change (a split, a merge) every resulting shard
 * gets an epoch above the epochs of all the shards whose ranges it overlaps: a shard split off
 * another starts above its parent's epoch, not at 1. So of two descriptors whose ranges overlap,
 * the one with the higher epoch is the newer, whatever their ids and histories.
 *
 * patch(descriptor) is how a client applies the descriptor a WRONG_SHARD reply carries without
 * fetching the whole map: a descriptor newer (higher epoch) than every entry it overlaps and than
 * any entry with its id replaces those entries over its range; older entries it covers only in
 * part keep the rest of their range, clipped. Such a clipped piece is stale (its shard no longer
 * has that range), but routing by it is safe: the node answers WRONG_SHARD with the descriptor
 * that covers the key, which patches the piece away. So ids are unique in a map from outside,
 * while a patched map may also hold clipped pieces of an older descriptor with the same id. At
 * every hash, patch never lowers the epoch; a patched map keeps the version of the whole map it
 * started from.
 */
import { fail } from "../../util/assert.ts";
import type { NodeId } from "../raft/types.ts";
import { endOfSpace, isBound, startOfSpace, type HashBound, type HashRange } from "./hash_range.ts";
import { compareHashes, type PartitionHash } from "./partition_hash.ts";
import { nodeIdMax, replicasPerShardMax, shardsMax, shardsMin } from "./placement_limits.ts";
import { ShardMapError } from "./shard_map_error.ts";

/** Shard ids are positive integers, never reused. */
export type ShardId = number;

/** A voter counts in its group's quorum; a learner receives the log and does not vote. */
export type ReplicaRole = "voter" | "learner";

export interface ShardReplica {
  readonly node: NodeId;
  readonly role: ReplicaRole;
}

export interface ShardDescriptor {
  readonly id: ShardId;
  readonly range: HashRange;
  /** Grows whenever range or replicas change (see the epoch rule above); 1 at bootstrap. */
  readonly epoch: number;
  readonly replicas: readonly ShardReplica[];
  /** The group's leader when known; a voter of `replicas`. */
  readonly leader?: NodeId;
}

export class ShardMap {
  /** The coordinator's version of the whole map; patches keep it. */
  readonly version: number;
  /** Sorted by range; their ranges cover the space exactly. */
  readonly shards: readonly ShardDescriptor[];
  // Range starts as u32 halves, side by side, for a lookup that touches no object but the result.
  private readonly startHighs: Uint32Array;
  private readonly startLows: Uint32Array;

  /** Asserts the invariants: use fromOutside for a map that did not come from this process's own code. */
  constructor(version: number, shards: readonly ShardDescriptor[]) {
    const problem = shardMapProblem(version, shards);
    if (problem !== null) fail(`shard map: ${problem}`);
    this.version = version;
    this.shards = shards;
    this.startHighs = Uint32Array.from(shards, (shard) => shard.range.start.high);
    this.startLows = Uint32Array.from(shards, (shard) => shard.range.start.low);
  }

  /** A map received from outside, in any order: checked, ids unique, else ShardMapError naming the first problem. */
  static fromOutside(version: number, shards: readonly ShardDescriptor[]): ShardMap {
    const sorted = [...shards].sort((a, b) => compareHashes(a.range.start, b.range.start));
    const problem = shardMapProblem(version, sorted) ?? duplicateIdProblem(sorted);
    if (problem !== null) throw new ShardMapError(`shard map version ${version}: ${problem}`);
    return new ShardMap(version, sorted);
  }

  /** The shard whose range holds `hash`: a binary search over the starts; allocates nothing. */
  lookup(hash: PartitionHash): ShardDescriptor {
    return this.shards[this.indexHolding(hash)]!;
  }

  /**
   * The map with `descriptor` patched in (see the head comment), or this map itself when the
   * descriptor is not newer than what it knows. ShardMapError when the descriptor is malformed.
   */
  patch(descriptor: ShardDescriptor): ShardMap {
    checkedDescriptor(descriptor);
    const { start, end } = descriptor.range;
    const first = this.indexHolding(start);
    const last = this.indexEndingAtOrAfter(end, first);
    const knowsNewer = (shard: ShardDescriptor) => shard.epoch >= descriptor.epoch;
    for (let index = first; index <= last; index++) if (knowsNewer(this.shards[index]!)) return this;
    if (this.shards.some((shard) => shard.id === descriptor.id && knowsNewer(shard))) return this;
    const before = this.shards[first]!;
    const after = this.shards[last]!;
    const replacing: ShardDescriptor[] = [];
    if (compareHashes(before.range.start, start) < 0) replacing.push(clipped(before, before.range.start, start));
    replacing.push(descriptor);
    if (compareHashes(end, after.range.end) < 0) replacing.push(clipped(after, end, after.range.end));
    return new ShardMap(this.version, [...this.shards.slice(0, first), ...replacing, ...this.shards.slice(last + 1)]);
  }

  private indexHolding(hash: PartitionHash): number {
    if (!(hash.high >= 0 && hash.high <= 0xffffffff)) fail(`lookup of a hash outside the space: ${hash.high}`);
    // Invariant: start[low] <= hash (start[0] = 0), and no start after `high` is <= hash.
    let low = 0;
    let high = this.shards.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      const startHigh = this.startHighs[middle]!;
      if (startHigh < hash.high || (startHigh === hash.high && this.startLows[middle]! <= hash.low)) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The first shard from `from` on whose range ends at or after `end`: the last a range ending at `end` overlaps. */
  private indexEndingAtOrAfter(end: HashBound, from: number): number {
    let index = from;
    while (compareHashes(this.shards[index]!.range.end, end) < 0) index++;
    return index;
  }
}

/** `shard` with its range cut down to [start, end), everything else kept (a stale piece; see patch). */
function clipped(shard: ShardDescriptor, start: HashBound, end: HashBound): ShardDescriptor {
  return { ...shard, range: { start, end } };
}

/** The first way `shards` break a map's invariants, or null. */
function shardMapProblem(version: number, shards: readonly ShardDescriptor[]): string | null {
  if (!isPositiveInteger(version)) return `version ${version} is not a positive integer`;
  if (shards.length < shardsMin || shards.length > shardsMax) {
    return `${shards.length} shards, outside ${shardsMin}..${shardsMax}`;
  }
  let expectedStart: HashBound = startOfSpace;
  for (const shard of shards) {
    const problem = descriptorProblem(shard);
    if (problem !== null) return `shard ${String(shard.id)}: ${problem}`;
    const order = compareHashes(shard.range.start, expectedStart);
    if (order !== 0) return `shard ${shard.id} starts ${order < 0 ? "inside the range before it" : "after a gap"}`;
    expectedStart = shard.range.end;
  }
  if (compareHashes(expectedStart, endOfSpace) !== 0) return "the last shard ends before the end of the hash space";
  return null;
}

/** `shard` itself when it is well formed on its own (id, epoch, range, replicas, leader); else ShardMapError. */
export function checkedDescriptor(shard: ShardDescriptor): ShardDescriptor {
  const problem = descriptorProblem(shard);
  if (problem !== null) throw new ShardMapError(`shard descriptor ${String(shard.id)}: ${problem}`);
  return shard;
}

function duplicateIdProblem(shards: readonly ShardDescriptor[]): string | null {
  const seen = new Set<ShardId>();
  for (const shard of shards) {
    if (seen.has(shard.id)) return `shard id ${shard.id} appears twice`;
    seen.add(shard.id);
  }
  return null;
}

/** The first way `shard` is malformed on its own (id, epoch, range, replicas, leader), or null. */
function descriptorProblem(shard: ShardDescriptor): string | null {
  if (!isPositiveInteger(shard.id)) return "the id is not a positive integer";
  if (!isPositiveInteger(shard.epoch)) return `epoch ${shard.epoch} is not a positive integer`;
  const { start, end } = shard.range;
  if (!isBound(start) || !isBound(end) || compareHashes(start, end) >= 0) {
    return "the range is not [start, end) of bounds of the hash space with start < end";
  }
  if (shard.replicas.length === 0 || shard.replicas.length > replicasPerShardMax) {
    return `${shard.replicas.length} replicas, outside 1..${replicasPerShardMax}`;
  }
  const nodes = new Set<NodeId>();
  for (const replica of shard.replicas) {
    if (!isNodeId(replica.node)) return `replica node ${replica.node} is not a node id`;
    if (replica.role !== "voter" && replica.role !== "learner") return `role ${String(replica.role)} is unknown`;
    if (nodes.has(replica.node)) return `node ${replica.node} is listed twice`;
    nodes.add(replica.node);
  }
  if (!shard.replicas.some((replica) => replica.role === "voter")) return "no replica is a voter";
  if (shard.leader === undefined) return null;
  const leader = shard.replicas.find((replica) => replica.node === shard.leader);
  return leader?.role === "voter" ? null : `leader ${shard.leader} is not a voter of the shard`;
}

function isPositiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

function isNodeId(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= nodeIdMax;
}
