/**
 * The merge of a scan across shards (src/client/merged_scan.ts) over a scripted source: pages of
 * several shards come out as one stream in key order, each key once; a piece narrower than its
 * shard keeps only its own keys; a shard that moved on is planned again and its keys still come
 * once; and a scan resumed from its progress gives the rest without asking finished shards again.
 */
import { describe, expect, test } from "bun:test";
import { MergedScan } from "../../src/client/merged_scan";
import { decodeScanCursor, encodeScanCursor } from "../../src/client/scan_cursor";
import { intersectRanges, subtractRanges } from "../../src/client/scan_ranges";
import type { PiecePage, ScanPiece, ScanSource } from "../../src/client/scan_source";
import { equalRanges, rangeContains, type HashRange } from "../../src/cluster/placement/hash_range";
import { partitionHashOf } from "../../src/cluster/placement/partition_hash";
import { partitionKeyOf } from "../../src/cluster/placement/partition_key";
import type { Entry, ScanOptions } from "../../src/engine/types";
import { shardOf } from "./fake_cluster";
import { ShardMap, type ShardDescriptor } from "../../src/cluster/placement/shard_map";
import { FileStoreError } from "../../src/client/errors";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function shardsOf(ranges: HashRange[], epoch = 1, firstId = 1): ShardDescriptor[] {
  const replicas = [{ node: 1, role: "voter" as const }];
  return ranges.map((range, index) => ({ id: firstId + index, range, epoch, replicas }));
}

/** A source over `keys` cut by a map the test may change; it counts pages per shard, and can refuse a shard once. */
class ScriptedSource implements ScanSource {
  readonly pagesByShard = new Map<number, number>();
  movedOnce = new Set<number>();

  constructor(public map: ShardMap, private readonly keys: string[]) {}

  plan(within: HashRange, done: readonly HashRange[]): ScanPiece[] {
    return this.map.shards.flatMap((shard) => {
      const part = intersectRanges(within, shard.range);
      if (part === null) return [];
      return subtractRanges(part, done).map((range) => ({
        range, shard: shard.id, shardEpoch: shard.epoch,
        partial: range.start !== shard.range.start || range.end !== shard.range.end,
      }));
    });
  }

  async page(piece: ScanPiece, request: ScanOptions): Promise<PiecePage | null> {
    this.pagesByShard.set(piece.shard, (this.pagesByShard.get(piece.shard) ?? 0) + 1);
    const shard = this.map.shards.find((there) => there.id === piece.shard && there.epoch === piece.shardEpoch);
    if (shard === undefined || this.movedOnce.delete(piece.shard)) return null;
    const after = request.cursor === undefined ? "" : text(request.cursor);
    const mine = this.keys.filter((key) => shardOf(this.map, key).id === shard.id && key > after).sort();
    const page = mine.slice(0, request.limit);
    const entries: Entry[] = page.map((key) => ({ key: encoder.encode(key), value: encoder.encode(key), version: 1 }));
    return { entries, nextCursor: mine.length > request.limit ? entries.at(-1)!.key : null };
  }
}

const keys = Array.from({ length: 40 }, (_, owner) => [`m/u${owner}/a`, `m/u${owner}/b`]).flat().sort();

async function all(scan: MergedScan, pageLimit: number): Promise<string[]> {
  const taken: string[] = [];
  while (!scan.finished) taken.push(...(await scan.take(5, pageLimit)).map((entry) => text(entry.key)));
  return taken;
}

describe("merged scan", () => {
  test("pages of every shard come out as one stream in key order, each key once; every range ends done", async () => {
    const source = new ScriptedSource(new ShardMap(1, shardsOf(equalRanges(4))), keys);
    const scan = new MergedScan(source, { prefix: encoder.encode("m/"), limit: 0 }, {}, null);
    expect(await all(scan, 3)).toEqual(keys);
    expect(scan.progress().done).toEqual([{ start: { high: 0, low: 0 }, end: { high: 0x1_0000_0000, low: 0 } }]);
    expect([...source.pagesByShard.keys()].sort()).toEqual([1, 2, 3, 4]);
  });

  test("a piece narrower than its shard keeps only the keys of its range", async () => {
    const map = new ShardMap(1, shardsOf(equalRanges(2)));
    const source = new ScriptedSource(map, keys);
    // Half of shard 1's range was finished before: the piece left is partial.
    const half = equalRanges(4)[0]!;
    const scan = new MergedScan(source, { limit: 0 }, {}, { after: null, done: [half] });
    const expected = keys.filter((key) => !intersects(half, key));
    expect(await all(scan, 4)).toEqual(expected);
  });

  test("a shard that moved on is planned again from the updated map; its keys still come once", async () => {
    const source = new ScriptedSource(new ShardMap(1, shardsOf(equalRanges(2))), keys);
    const scan = new MergedScan(source, { limit: 0 }, {}, null);
    const first = (await scan.take(6, 3)).map((entry) => text(entry.key));
    source.map = new ShardMap(2, [...shardsOf(equalRanges(4).slice(0, 2), 2, 10), ...source.map.shards.slice(1)]);
    const rest = await all(scan, 3);
    expect([...first, ...rest]).toEqual(keys);
    expect(source.pagesByShard.get(10)! + source.pagesByShard.get(11)!).toBeGreaterThan(0);
  });

  test("a page refused once is asked again after planning; nothing is lost or repeated", async () => {
    const source = new ScriptedSource(new ShardMap(1, shardsOf(equalRanges(3))), keys);
    source.movedOnce = new Set([2]);
    expect(await all(new MergedScan(source, { limit: 0 }, {}, null), 2)).toEqual(keys);
  });

  test("resumed from its cursor, a scan gives the rest and does not ask the shards it finished", async () => {
    const source = new ScriptedSource(new ShardMap(1, shardsOf(equalRanges(8))), keys);
    const scan = new MergedScan(source, { limit: 0 }, {}, null);
    const first = (await scan.take(keys.length - 3, 100)).map((entry) => text(entry.key));
    const cursor = encodeScanCursor(scan.progress());
    const progress = decodeScanCursor(cursor);
    expect(progress.done.length).toBeGreaterThan(0);
    source.pagesByShard.clear();
    const resumed = new MergedScan(source, { limit: 0 }, {}, progress);
    const rest = await all(resumed, 100);
    expect([...first, ...rest]).toEqual(keys);
    const finishedBefore = source.map.shards.filter((shard) =>
      progress.done.some((range) => intersectRanges(range, shard.range) !== null));
    for (const shard of finishedBefore) expect(source.pagesByShard.has(shard.id)).toBe(false);
  });
});

describe("scan cursor", () => {
  test("round-trips the last key (any bytes) and the finished ranges", () => {
    const progress = { after: Uint8Array.of(0, 255, 47, 1), done: equalRanges(4).slice(1, 2) };
    expect(decodeScanCursor(encodeScanCursor(progress))).toEqual(progress);
    expect(decodeScanCursor(encodeScanCursor({ after: null, done: [] }))).toEqual({ after: null, done: [] });
  });

  test("anything else is INVALID_REQUEST naming the cursor", () => {
    const wrapped = (json: unknown) => `c1.${Buffer.from(JSON.stringify(json)).toString("base64url")}`;
    const bad = [
      "", "c2.e30", "c1.%%%", wrapped({ done: [] }), wrapped({ after: null }),
      wrapped({ after: null, done: [["0", "1"]] }),
      wrapped({ after: null, done: [["8000000000000000", "4000000000000000"]] }),
      wrapped({
        after: null, done: [["4000000000000000", "8000000000000000"], ["0000000000000000", "1000000000000000"]],
      }),
      "c1." + "A".repeat(1024 * 1024),
    ];
    for (const cursor of bad) {
      let caught: unknown;
      try {
        decodeScanCursor(cursor);
      } catch (error) {
        caught = error;
      }
      const { code, argument } = caught as FileStoreError;
      expect({ cursor: cursor.slice(0, 40), code, argument })
        .toEqual({ cursor: cursor.slice(0, 40), code: "INVALID_REQUEST", argument: "cursor" });
    }
  });
});

/** Whether `key`'s partition hash lies in `range`. */
function intersects(range: HashRange, key: string): boolean {
  return rangeContains(range, partitionHashOf(partitionKeyOf(encoder.encode(key))));
}
