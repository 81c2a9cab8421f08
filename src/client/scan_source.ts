/**
 * Where a scan's pages come from (merged_scan.ts merges them): the pieces of the hash space a
 * scan visits and, per piece, one page at a time. A sharded cluster's pieces are its shards (the
 * routing client, shard_router.ts); a node that is not sharded is one piece, the whole space, asked
 * without routing (unroutedScanSource). A scan inside one partition (its prefix, or both bounds,
 * reach past the partition key's end) visits the one shard holding that partition.
 */
import type { Entry, ScanOptions } from "../engine/types.ts";
import type { RequestBody } from "../net/messages.ts";
import { endOfSpace, startOfSpace, type HashRange } from "../cluster/placement/hash_range.ts";
import { partitionHashOf } from "../cluster/placement/partition_hash.ts";
import { partitionKeyLength } from "../cluster/placement/partition_key.ts";
import { FileStoreError } from "./errors.ts";
import type { ReplyReader } from "./pending_requests.ts";
import { okReply } from "./reply_readers.ts";
import { subtractRanges } from "./scan_ranges.ts";
import type { RequestOptions } from "./types.ts";

export interface ScanPiece {
  /** The part of the hash space this piece covers. */
  readonly range: HashRange;
  /** The shard serving it and that shard's epoch; 0 and 0: a node that is not sharded (not routed). */
  readonly shard: number;
  readonly shardEpoch: number;
  /** The shard holds more of the space than this piece: entries outside `range` are another piece's. */
  readonly partial: boolean;
}

/** A page of one piece; `nextCursor` null when the piece has no more entries. */
export interface PiecePage {
  entries: Entry[];
  nextCursor: Uint8Array | null;
}

export interface ScanSource {
  /** The pieces covering `within`, less the ranges in `done`, as the current map cuts them. */
  plan(within: HashRange, done: readonly HashRange[]): ScanPiece[];
  /**
   * One page of `piece` for `request` (bounds, limit, cursor). null: the piece's shard no longer
   * serves it as planned (the map has been brought up to date since): plan its range again.
   */
  page(piece: ScanPiece, request: ScanOptions, options: RequestOptions): Promise<PiecePage | null>;
}

/** The whole hash space: every scan's pieces lie in it. */
const wholeSpace: HashRange = { start: startOfSpace, end: endOfSpace };

/** The range of a scan: the whole space, or one hash when all its keys share a partition key. */
export function scanScope(request: ScanOptions): { within: HashRange; singlePartition: boolean } {
  const partition = partitionOf(request);
  if (partition === null) return { within: wholeSpace, singlePartition: false };
  const hash = partitionHashOf(partition);
  const next = hash.low === 0xffff_ffff ? { high: hash.high + 1, low: 0 } : { high: hash.high, low: hash.low + 1 };
  return { within: { start: hash, end: next }, singlePartition: true };
}

/**
 * The partition key every key of the scan has, or null: a prefix that reaches past the partition
 * key's end (`orders/u1/`), or a start and an end whose common prefix does (every key between two
 * keys starts with what they share).
 */
function partitionOf(request: ScanOptions): Uint8Array | null {
  const shared = request.prefix ?? commonPrefix(request.start, request.end);
  if (shared === null) return null;
  const length = partitionKeyLength(shared);
  return length < shared.length ? shared.subarray(0, length) : null;
}

function commonPrefix(start: Uint8Array | undefined, end: Uint8Array | undefined): Uint8Array | null {
  if (start === undefined || end === undefined) return null;
  let length = 0;
  while (length < start.length && length < end.length && start[length] === end[length]) length++;
  return start.subarray(0, length);
}

interface Sender {
  request<T>(body: RequestBody, options: RequestOptions | undefined, read: ReplyReader<T>): Promise<T>;
}

/** A node (or replicated group) that is not sharded: one piece, the whole space, pages asked as before sharding. */
export function unroutedScanSource(sender: Sender): ScanSource {
  return {
    plan: (within, done) =>
      subtractRanges(within, done).map((range) => ({ range, shard: 0, shardEpoch: 0, partial: false })),
    page: async (_piece, request, options) => {
      const reply = await sender.request({ kind: "scan", options: request }, options, okReply);
      if (reply.result.kind !== "scan") throw new FileStoreError("INTERNAL", "reply to a scan carries no scan result");
      return reply.result;
    },
  };
}
