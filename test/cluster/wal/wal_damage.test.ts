/**
 * A damaged shared log: a torn tail is cut and reported and every group comes back as of the
 * last whole record; damage anywhere else refuses the open with a typed error (and stays so at
 * the next try, nothing changed); snapshot files no group names are removed.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { SegmentedLog } from "../../../src/log/segmented_log.ts";
import { RaftStorageCorruptError } from "../../../src/cluster/storage/types.ts";
import { encodeEntriesRecord, encodeSnapshotRecord } from "../../../src/cluster/wal/wal_record_format.ts";
import { damageMiddleRecord, flipByte, segmentPaths } from "../../cli/damage.ts";
import { directoriesPerTest } from "../../log/helpers.ts";
import { CollectingLogger } from "../../util/collecting_logger.ts";
import { entriesOf, hardState, snapshotAt } from "../storage/helpers.ts";
import { groupPicture, openSharedLog, persistOneTurn, threeVoters } from "./helpers.ts";

const freshDirectory = directoriesPerTest();
const segmentSizeBytes = 1024;

/** Three groups with a few turns of entries (several segments), then group 1 alone appends 5..6 last. */
async function writeGroups(dir: string): Promise<{ before: unknown[]; beforeLastWrite: unknown }> {
  const wal = await openSharedLog(dir, { segmentSizeBytes });
  const groups = [];
  for (const groupId of [1, 2, 3]) groups.push(await wal.openGroup(groupId, threeVoters));
  for (let turn = 0; turn < 4; turn++) await persistOneTurn(groups, 1, 3);
  await groups[0].persist({ hardState: hardState(1, 1, groups[0].lastIndex()), entries: [] });
  const beforeLastWrite = groupPicture(groups[0]);
  await groups[0].persist({ entries: entriesOf(13, 14, 1) });
  const before = groups.map(groupPicture);
  await wal.close();
  return { before, beforeLastWrite };
}

function lastSegment(dir: string): string {
  return segmentPaths(path.join(dir, "log")).at(-1)!;
}

describe("torn tail", () => {
  test("garbage after the last whole record is cut and reported; every group is whole", async () => {
    const dir = freshDirectory("torn-garbage");
    const { before } = await writeGroups(dir);
    const tail = lastSegment(dir);
    const size = fs.statSync(tail).size;
    fs.appendFileSync(tail, new Uint8Array(11).fill(0x5a));
    const logger = new CollectingLogger();
    const wal = await openSharedLog(dir, { segmentSizeBytes, logger });
    expect(wal.recovery.log.tornTail).toEqual({ file: tail, offset: size, bytesCut: 11 });
    const line = (message: string) => logger.lines.find((logged) => logged.message === message);
    expect(line("torn tail cut")?.fields).toMatchObject({ file: tail, bytes: 11 });
    expect(line("shared log recovered")?.fields).toMatchObject({ groups: 3 });
    for (const [position, picture] of before.entries()) {
      expect(groupPicture(await wal.openGroup(position + 1))).toEqual(picture);
    }
    await wal.close();
  });

  test("a last record cut short is dropped: its group comes back as before that write", async () => {
    const dir = freshDirectory("torn-record");
    const { before, beforeLastWrite } = await writeGroups(dir);
    const tail = lastSegment(dir);
    fs.truncateSync(tail, fs.statSync(tail).size - 5);
    const wal = await openSharedLog(dir, { segmentSizeBytes });
    expect(wal.recovery.log.tornTail).not.toBeNull();
    expect(groupPicture(await wal.openGroup(1))).toEqual(beforeLastWrite);
    expect(groupPicture(await wal.openGroup(2))).toEqual(before[1]);
    await wal.close();
  });
});

describe("damage before the tail refuses the open", () => {
  test("a record failing its checksum: CorruptRecordError, again at the next try", async () => {
    const dir = freshDirectory("checksum");
    await writeGroups(dir);
    const sealed = segmentPaths(path.join(dir, "log"))[1];
    const damaged = damageMiddleRecord(sealed);
    for (let attempt = 0; attempt < 2; attempt++) {
      const refusal = { name: "CorruptRecordError", file: sealed, index: damaged.index };
      await expect(openSharedLog(dir, { segmentSizeBytes })).rejects.toMatchObject(refusal);
    }
  });

  test("a record that passes its checksum but breaks the format: RaftStorageCorruptError", async () => {
    const dir = freshDirectory("format");
    await writeGroups(dir);
    const log = await SegmentedLog.open({ dir: path.join(dir, "log"), segmentSizeBytes });
    await log.append([Uint8Array.of(9, 1, 0, 0, 1, 0, 0, 0)]);
    await log.close();
    await expect(openSharedLog(dir, { segmentSizeBytes })).rejects.toThrow(RaftStorageCorruptError);
    await expect(openSharedLog(dir, { segmentSizeBytes })).rejects.toThrow("unknown record kind 9");
  });

  test("a group whose entries after its anchor are missing: RaftStorageCorruptError", async () => {
    const dir = freshDirectory("gap");
    const log = await SegmentedLog.open({ dir: path.join(dir, "log") });
    const created = {
      index: 0, term: 0, confState: threeVoters, anchorIndex: 0, anchorTerm: 0, fileSequence: 0, reset: true,
    };
    await log.append([encodeSnapshotRecord(7, created), encodeEntriesRecord(7, entriesOf(5, 6, 1), 0).payload]);
    await log.close();
    await expect(openSharedLog(dir)).rejects.toThrow("shared log group 7: entries 1..4 missing after the anchor");
  });

  test("a group with no snapshot record (its start lost): RaftStorageCorruptError", async () => {
    const dir = freshDirectory("no-start");
    const log = await SegmentedLog.open({ dir: path.join(dir, "log") });
    await log.append([encodeEntriesRecord(7, entriesOf(1, 2, 1), 0).payload]);
    await log.close();
    await expect(openSharedLog(dir)).rejects.toThrow("no snapshot record");
  });

  test("a missing snapshot image refuses the open; a damaged one is refused when read", async () => {
    const dir = freshDirectory("image");
    const wal = await openSharedLog(dir);
    const group = await wal.openGroup(1, threeVoters);
    await group.persist({ hardState: hardState(1, 1, 4), entries: entriesOf(1, 4, 1) });
    await group.compact(4, snapshotAt(4, 1, [1, 2, 3], "the image"));
    await wal.close();
    const [image] = fs.readdirSync(path.join(dir, "snapshots"));
    const imagePath = path.join(dir, "snapshots", image);
    flipByte(imagePath, 40);
    const reopened = await openSharedLog(dir);
    const view = await reopened.openGroup(1);
    expect(view.snapshot.bind(view)).toThrow(RaftStorageCorruptError);
    expect(view.snapshot.bind(view)).toThrow("checksum mismatch");
    await reopened.close();
    fs.rmSync(imagePath);
    await expect(openSharedLog(dir)).rejects.toThrow(`${imagePath}: snapshot file missing`);
  });
});

test("snapshot files no group names, and leftovers of interrupted writes, are removed at open", async () => {
  const dir = freshDirectory("orphans");
  await writeGroups(dir);
  const folder = path.join(dir, "snapshots");
  const orphan = "an image whose record never made it";
  fs.writeFileSync(path.join(folder, "0000000001-00000000000000000099.snapshot"), orphan);
  fs.writeFileSync(path.join(folder, "0000000001-00000000000000000100.snapshot.tmp"), "half an image");
  const wal = await openSharedLog(dir, { segmentSizeBytes });
  expect(wal.recovery.snapshotFilesRemoved.sort()).toEqual([
    "0000000001-00000000000000000099.snapshot",
    "0000000001-00000000000000000100.snapshot.tmp",
  ]);
  expect(fs.readdirSync(folder)).toEqual([]);
  // Later images never reuse a sequence number seen on disk.
  const group = await wal.openGroup(1);
  await group.compact(4, snapshotAt(4, 1, [1, 2, 3], "next image"));
  expect(fs.readdirSync(folder)).toEqual(["0000000001-00000000000000000100.snapshot"]);
  await wal.close();
});
