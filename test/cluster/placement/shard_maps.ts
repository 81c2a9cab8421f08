/**
 * Shard maps for the placement tests: a bootstrap map, random maps cut at random hashes, random
 * hashes that favour range bounds, and a coordinator model whose splits, merges and replica
 * changes keep the epoch rule of src/cluster/placement/shard_map.ts, so patch can be tested
 * against every descriptor a client may be sent.
 */
import fc from "fast-check";
import { endOfSpace, equalRanges, type HashBound, type HashRange } from "../../../src/cluster/placement/hash_range.ts";
import { hashToBigInt, type PartitionHash } from "../../../src/cluster/placement/partition_hash.ts";
import {
  ShardMap, type ShardDescriptor, type ShardId, type ShardReplica,
} from "../../../src/cluster/placement/shard_map.ts";

export const spaceSize = 1n << 64n;

export function boundOf(value: bigint): HashBound {
  return { high: Number(value >> 32n), low: Number(value & 0xffffffffn) };
}

export function bigOf(bound: HashBound): bigint {
  return hashToBigInt(bound);
}

const voters = (...nodes: number[]): ShardReplica[] => nodes.map((node) => ({ node, role: "voter" as const }));

export function descriptor(id: ShardId, range: HashRange, epoch = 1, nodes = [1, 2, 3]): ShardDescriptor {
  return { id, range, epoch, replicas: voters(...nodes), leader: nodes[0] };
}

/** `count` equal shards with ids 1..count, epoch 1, on nodes 1, 2, 3 (led by 1). */
export function bootstrapMap(count: number): ShardMap {
  return new ShardMap(1, equalRanges(count).map((range, index) => descriptor(index + 1, range)));
}

/** A map cut at the given starts (0 is added; duplicates dropped), shards numbered from 1 in range order. */
export function mapCutAt(cuts: bigint[]): ShardMap {
  const starts = [...new Set([0n, ...cuts])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const shards = starts.map((start, index) => {
    const end = index + 1 < starts.length ? boundOf(starts[index + 1]!) : endOfSpace;
    return descriptor(index + 1, { start: boundOf(start), end });
  });
  return new ShardMap(1, shards);
}

const hash64 = fc.bigInt({ min: 0n, max: spaceSize - 1n });

/** Maps of 1 to 40 shards cut at random hashes, sometimes at the edges of the space. */
export const randomMap: fc.Arbitrary<ShardMap> = fc
  .array(fc.oneof(hash64, fc.constantFrom(1n, spaceSize - 1n, 1n << 63n)), { maxLength: 39 })
  .map(mapCutAt);

/** A hash that is often a range bound of `map` or next to one, where off-by-one errors live. */
export function hashNear(map: ShardMap): fc.Arbitrary<PartitionHash> {
  const bounds = map.shards.flatMap((shard) => [bigOf(shard.range.start), bigOf(shard.range.end)]);
  const nearBound = fc.tuple(fc.constantFrom(...bounds), fc.constantFrom(-1n, 0n, 1n))
    .map(([bound, step]) => bound + step)
    .filter((value) => value >= 0n && value < spaceSize);
  return fc.oneof(hash64, nearBound).map((value) => ({ ...boundOf(value) }));
}

/** The shard of `map` holding `hash`, found the slow way. */
export function linearLookup(map: ShardMap, hash: PartitionHash): ShardDescriptor[] {
  const value = bigOf(hash);
  return map.shards.filter((shard) => bigOf(shard.range.start) <= value && value < bigOf(shard.range.end));
}

export type CoordinatorStep =
  | { kind: "split"; at: number; fraction: number }
  | { kind: "merge"; at: number }
  | { kind: "replicas"; at: number; nodes: number[] };

export const coordinatorStep: fc.Arbitrary<CoordinatorStep> = fc.oneof(
  fc.record({
    kind: fc.constant("split" as const),
    at: fc.nat(),
    fraction: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("merge" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("replicas" as const),
    at: fc.nat(),
    nodes: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  }),
);

/**
 * A coordinator's map through splits, merges and replica changes, following the epoch rule: every
 * new descriptor's epoch is above those of the descriptors it replaces. `history` holds every
 * descriptor ever current, the stale ones a client may still be sent.
 */
export class CoordinatorModel {
  shards: ShardDescriptor[];
  readonly history: ShardDescriptor[] = [];
  private nextId: number;

  constructor(initial: ShardMap) {
    this.shards = [...initial.shards];
    this.history.push(...initial.shards);
    this.nextId = Math.max(...initial.shards.map((shard) => shard.id)) + 1;
  }

  map(): ShardMap {
    return new ShardMap(1, this.shards);
  }

  apply(step: CoordinatorStep): void {
    const index = step.at % this.shards.length;
    const shard = this.shards[index]!;
    if (step.kind === "split") this.split(index, shard, step.fraction);
    else if (step.kind === "merge") this.merge(index);
    else this.replace(index, 1, [{ ...descriptor(shard.id, shard.range, shard.epoch + 1, step.nodes) }]);
  }

  private split(index: number, shard: ShardDescriptor, fraction: number): void {
    const [start, end] = [bigOf(shard.range.start), bigOf(shard.range.end)];
    if (end - start < 2n) return;
    const middle = start + 1n + ((end - start - 2n) * BigInt(Math.round(fraction * 1000))) / 1000n;
    const epoch = shard.epoch + 1;
    const left = descriptor(shard.id, { start: shard.range.start, end: boundOf(middle) }, epoch);
    const right = descriptor(this.nextId++, { start: boundOf(middle), end: shard.range.end }, epoch);
    this.replace(index, 1, [left, right]);
  }

  private merge(index: number): void {
    if (index + 1 >= this.shards.length) return;
    const [left, right] = [this.shards[index]!, this.shards[index + 1]!];
    const epoch = Math.max(left.epoch, right.epoch) + 1;
    this.replace(index, 2, [descriptor(left.id, { start: left.range.start, end: right.range.end }, epoch)]);
  }

  private replace(index: number, count: number, by: ShardDescriptor[]): void {
    this.shards.splice(index, count, ...by);
    this.history.push(...by);
  }
}
