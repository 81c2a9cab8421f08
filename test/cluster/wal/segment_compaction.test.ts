/**
 * Compaction of the shared log: a segment is dropped once every group is past it; a small group
 * holding an old segment is rewritten forward; a group far behind is reported (which group pins
 * the oldest segment, and how many bytes) until it is snapshotted.
 */
import { describe, expect, test } from "bun:test";
import path from "node:path";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import type { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import { directoriesPerTest } from "../../log/helpers.ts";
import { hardState, snapshotAt } from "../storage/helpers.ts";
import { groupPicture, openSharedLog, persistOneTurn, threeVoters } from "./helpers.ts";
import { SyncedDisk } from "./synced_disk.ts";

const freshDirectory = directoriesPerTest();
/** Small segments: a few turns fill one. */
const segmentSizeBytes = 1024;
/** Segments roll a little before they are full: each holds more than half its size. */
const halfSegmentBytes = segmentSizeBytes / 2;
/**
 * Segments still held once every group has snapshotted: the newest records of each group (its
 * snapshot record, its last hard state) can straddle a rollover or two, and the active one.
 */
const lastRecordsSegmentsMax = 3;
/** More live entries than a rewrite copies (rewriteEntriesMax = 32). */
const manyEntries = 40;

/** `turns` turns of `groups`, each appending one entry. */
async function writeTurns(groups: GroupStorage[], turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await persistOneTurn(groups, 1);
}

/** Commits the group's log through its last entry, then compacts it there with a snapshot. */
async function snapshotWhole(group: GroupStorage): Promise<void> {
  const last = group.lastIndex();
  await group.persist({ hardState: hardState(1, 1, last), entries: [] });
  await group.compact(last, snapshotAt(last, 1, [1, 2, 3], `group ${group.groupId} at ${last}`));
}

async function openGroups(wal: SharedLog, ids: number[]): Promise<GroupStorage[]> {
  const groups: GroupStorage[] = [];
  for (const groupId of ids) groups.push(await wal.openGroup(groupId, threeVoters));
  return groups;
}

describe("segment dropping", () => {
  test("a segment is dropped only once every group is past it", async () => {
    const dir = freshDirectory("drop");
    const wal = await openSharedLog(dir, { segmentSizeBytes });
    const [first, second] = await openGroups(wal, [1, 2]);
    await writeTurns([first, second], manyEntries);
    const segmentsBefore = wal.stats().segmentCount;
    expect(segmentsBefore).toBeGreaterThan(4);
    expect(await wal.compactSegments()).toMatchObject({ groupsRewritten: [], segmentsDropped: 0 });
    await snapshotWhole(first);
    const pinnedBySecond = await wal.compactSegments();
    expect(pinnedBySecond.segmentsDropped).toBe(0);
    expect(pinnedBySecond.pins[0]).toMatchObject({ groupId: 2, segmentFirstIndex: 1 });
    expect(pinnedBySecond.pins[0].bytesPinned).toBeGreaterThan((segmentsBefore - 2) * halfSegmentBytes);
    await snapshotWhole(second);
    const dropped = await wal.compactSegments();
    expect(dropped.segmentsDropped).toBeGreaterThanOrEqual(segmentsBefore - 2);
    expect(dropped.bytesDropped).toBeGreaterThan((segmentsBefore - 2) * halfSegmentBytes);
    expect(wal.stats().segmentCount).toBeLessThanOrEqual(lastRecordsSegmentsMax);
    for (const pin of dropped.pins) {
      expect(pin.logBytesSince).toBeLessThanOrEqual(lastRecordsSegmentsMax * segmentSizeBytes);
    }
    const pictures = [groupPicture(first), groupPicture(second)];
    await wal.close();
    const reopened = await openSharedLog(dir, { segmentSizeBytes });
    expect([groupPicture(await reopened.openGroup(1)), groupPicture(await reopened.openGroup(2))]).toEqual(pictures);
    await reopened.close();
  });

  test("segments go only once the records that moved every group past them are durable", async () => {
    const root = freshDirectory("drop-durable");
    const disk = new SyncedDisk(path.join(root, "live"), root);
    const wal = await openSharedLog(path.join(root, "live"), { segmentSizeBytes, onFsync: disk.takeImage });
    const [first, second] = await openGroups(wal, [1, 2]);
    await writeTurns([first, second], manyEntries);
    await snapshotWhole(first);
    const last = second.lastIndex();
    await second.persist({ hardState: hardState(1, 1, last), entries: [] });
    // The second group's compaction is still being written when the log drops segments.
    const compaction = second.compact(last, snapshotAt(last, 1, [1, 2, 3], "second at its end"));
    expect((await wal.compactSegments()).segmentsDropped).toBeGreaterThan(2);
    const crashed = await openSharedLog(disk.crashCopy().dir, { segmentSizeBytes });
    expect((await crashed.openGroup(2)).snapshot().metadata.index).toBe(last);
    await crashed.close();
    await compaction;
    await wal.close();
  });

  test("a small group holding an old segment is rewritten forward instead of pinning it", async () => {
    const dir = freshDirectory("rewrite");
    const wal = await openSharedLog(dir, { segmentSizeBytes });
    const [idle, busy] = await openGroups(wal, [1, 2]);
    await writeTurns([idle, busy], 3);
    await writeTurns([busy], manyEntries);
    await snapshotWhole(busy);
    const idleBefore = groupPicture(idle);
    const compaction = await wal.compactSegments();
    expect(compaction.groupsRewritten).toEqual([1]);
    expect(compaction.segmentsDropped).toBeGreaterThan(2);
    expect(compaction.pins).toEqual([]);
    expect(groupPicture(idle)).toEqual(idleBefore);
    await persistOneTurn([idle, busy], 1);
    const pictures = [groupPicture(idle), groupPicture(busy)];
    await wal.close();
    const reopened = await openSharedLog(dir, { segmentSizeBytes });
    expect([groupPicture(await reopened.openGroup(1)), groupPicture(await reopened.openGroup(2))]).toEqual(pictures);
    await reopened.close();
  });

});

describe("what pins the log", () => {
  test("a group far behind is reported as pinning the oldest segment until it is snapshotted", async () => {
    const dir = freshDirectory("lagging");
    const wal = await openSharedLog(dir, { segmentSizeBytes });
    const [lagging, busy] = await openGroups(wal, [1, 2]);
    await writeTurns([lagging], manyEntries);
    await writeTurns([busy], 3 * manyEntries);
    await snapshotWhole(busy);
    const compaction = await wal.compactSegments();
    expect(compaction.groupsRewritten).toEqual([]);
    const oldest = compaction.pins[0];
    expect(oldest).toMatchObject({ groupId: 1, segmentFirstIndex: 1 });
    expect(oldest.bytesPinned).toBeGreaterThan(4 * segmentSizeBytes);
    expect(oldest.logBytesSince).toBe(wal.stats().sizeBytes);
    expect(wal.laggingGroups(4 * segmentSizeBytes).map((pin) => pin.groupId)).toEqual([1]);
    expect(wal.laggingGroups(wal.stats().sizeBytes + 1)).toEqual([]);
    await snapshotWhole(lagging);
    expect((await wal.compactSegments()).segmentsDropped).toBeGreaterThan(4);
    expect(wal.laggingGroups(0)).toEqual([]);
    await wal.close();
  });

  test("removed groups pin nothing", async () => {
    const wal = await openSharedLog(freshDirectory("removed"), { segmentSizeBytes });
    const [gone, busy] = await openGroups(wal, [1, 2]);
    await writeTurns([gone, busy], manyEntries);
    await snapshotWhole(busy);
    const segmentsBefore = wal.stats().segmentCount;
    expect(wal.segmentPins()[0]).toMatchObject({ groupId: 1, segmentFirstIndex: 1 });
    await wal.removeGroup(gone.groupId);
    expect(wal.segmentPins().map((pin) => pin.groupId)).not.toContain(1);
    const compaction = await wal.compactSegments();
    expect(compaction.segmentsDropped).toBeGreaterThanOrEqual(segmentsBefore - lastRecordsSegmentsMax);
    await wal.close();
  });
});
