/**
 * The shared log: the persists of many groups in one turn share one write and one fdatasync;
 * a commit alone costs none; every group comes back whole after a reopen; removed groups stay
 * removed.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import { directoriesPerTest } from "../../log/helpers.ts";
import { entriesOf, hardState, snapshotAt } from "../storage/helpers.ts";
import { groupPicture, openSharedLog, persistOneTurn, threeVoters } from "./helpers.ts";

const freshDirectory = directoriesPerTest();

describe("group commit across groups", () => {
  for (const groupCount of [1, 16, 64]) {
    test(`${groupCount} groups persisting in one turn cause one write and one fdatasync`, async () => {
      const wal = await openSharedLog(freshDirectory("one-turn"));
      const groups: GroupStorage[] = [];
      for (let groupId = 1; groupId <= groupCount; groupId++) groups.push(await wal.openGroup(groupId, threeVoters));
      await persistOneTurn(groups, 1);
      for (let turn = 0; turn < 3; turn++) {
        const before = wal.stats();
        await persistOneTurn(groups, 1, 2);
        const after = wal.stats();
        expect(after.fdatasyncCount - before.fdatasyncCount).toBe(1);
        expect(after.writeCount - before.writeCount).toBe(1);
        // One entries record per group, carrying its new commit.
        expect(after.recordsAppended - before.recordsAppended).toBe(groupCount);
      }
      await wal.close();
    });
  }

  test("the same persists awaited one after another cost one fdatasync each (what the turn saves)", async () => {
    const wal = await openSharedLog(freshDirectory("one-by-one"));
    const groups: GroupStorage[] = [];
    for (let groupId = 1; groupId <= 8; groupId++) groups.push(await wal.openGroup(groupId, threeVoters));
    await persistOneTurn(groups, 1);
    const before = wal.stats().fdatasyncCount;
    for (const group of groups) await persistOneTurn([group], 1);
    expect(wal.stats().fdatasyncCount - before).toBe(8);
    await wal.close();
  });

  test("a commit alone costs no fdatasync; its persist resolves after the group's earlier writes", async () => {
    const wal = await openSharedLog(freshDirectory("commit-only"));
    const group = await wal.openGroup(1, threeVoters);
    await group.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 4, 1) });
    const before = wal.stats();
    const order: string[] = [];
    const entries = group.persist({ entries: entriesOf(5, 6, 1) }).then(() => order.push("entries"));
    const commitOnly = group.persist({ hardState: hardState(1, 1, 6), entries: [] }).then(() => order.push("commit"));
    expect(group.initialState().hardState).toEqual(hardState(1, 1, 6));
    await Promise.all([entries, commitOnly]);
    expect(order).toEqual(["entries", "commit"]);
    expect(wal.stats().fdatasyncCount - before.fdatasyncCount).toBe(1);
    const idle = wal.stats().fdatasyncCount;
    await group.persist({ hardState: hardState(1, 1, 5), entries: [] });
    expect(wal.stats().fdatasyncCount).toBe(idle);
    await wal.close();
  });
});

describe("entries records", () => {
  test("a batch larger than one record is split; its commit rides on the last record", async () => {
    const dir = freshDirectory("split");
    const wal = await openSharedLog(dir);
    const group = await wal.openGroup(1, threeVoters);
    await group.persist({ hardState: hardState(1, 1, 0), entries: [] });
    const large = (index: number) => {
      return { index, term: 1, kind: "normal" as const, data: new Uint8Array(100 * 1024).fill(index) };
    };
    const before = wal.stats().recordsAppended;
    await group.persist({ hardState: hardState(1, 1, 5), entries: [1, 2, 3, 4, 5].map(large) });
    // Two entries of 100 KiB fit a record of at most 256 KiB: three records, no hard-state record.
    expect(wal.stats().recordsAppended - before).toBe(3);
    const picture = groupPicture(group);
    await wal.close();
    const reopened = await openSharedLog(dir);
    const recovered = await reopened.openGroup(1);
    expect(groupPicture(recovered)).toEqual(picture);
    expect(recovered.initialState().hardState.commit).toBe(5);
    expect(recovered.entries(4, 5, Number.MAX_SAFE_INTEGER)[0].data).toEqual(large(4).data);
    await reopened.close();
  });
});

/** Several groups taken through every kind of write; returns their pictures. */
async function writeVariedGroups(dir: string): Promise<Map<number, unknown>> {
  const wal = await openSharedLog(dir, { segmentSizeBytes: 1024 });
  const plainGroup = await wal.openGroup(1, threeVoters);
  const overwritten = await wal.openGroup(2, threeVoters);
  const compacted = await wal.openGroup(3, threeVoters);
  const installed = await wal.openGroup(4, threeVoters);
  const untouched = await wal.openGroup(5, { voters: [4, 5], learners: [6] });
  await Promise.all([
    plainGroup.persist({ hardState: hardState(2, 1, 3), entries: [...entriesOf(1, 3, 1), ...entriesOf(4, 9, 2)] }),
    overwritten.persist({ hardState: hardState(1, 2, 2), entries: entriesOf(1, 8, 1) }),
    compacted.persist({ hardState: hardState(3, 3, 30), entries: entriesOf(1, 30, 3) }),
    installed.persist({ hardState: hardState(1, 1, 2), entries: entriesOf(1, 5, 1) }),
  ]);
  await Promise.all([
    overwritten.persist({ hardState: hardState(4, 3, 3), entries: entriesOf(4, 6, 4) }),
    compacted.compact(20, snapshotAt(25, 3, [1, 2, 3], "image of group 3 at 25")),
    installed.persist({
      hardState: hardState(5, 0, 40),
      entries: [],
      snapshot: snapshotAt(40, 5, [1, 2, 3, 7], "leader's image at 40"),
    }),
  ]);
  await installed.persist({ hardState: hardState(5, 0, 41), entries: entriesOf(41, 43, 5) });
  const pictures = new Map<number, unknown>();
  for (const group of [plainGroup, overwritten, compacted, installed, untouched]) {
    pictures.set(group.groupId, groupPicture(group));
  }
  await wal.close();
  return pictures;
}

describe("recovery of every group", () => {
  test("every group reads back as it was after a reopen: entries, terms, hard state, snapshot and image", async () => {
    const dir = freshDirectory("reopen");
    const before = await writeVariedGroups(dir);
    const wal = await openSharedLog(dir, { segmentSizeBytes: 1024 });
    expect(wal.groupIds()).toEqual([1, 2, 3, 4, 5]);
    expect(wal.recovery.log.tornTail).toBeNull();
    for (const [groupId, picture] of before) {
      const group = await wal.openGroup(groupId);
      expect(groupPicture(group)).toEqual(picture);
      expect(group.stats().entryCacheHits).toBe(0);
    }
    await wal.close();
  });

  test("the images of replaced snapshots are removed; the newest ones stay", async () => {
    const dir = freshDirectory("images");
    await writeVariedGroups(dir);
    const wal = await openSharedLog(dir);
    const group = await wal.openGroup(3);
    const image = (index: number) => snapshotAt(index, 3, [1, 2, 3], `image at ${index}`);
    await group.compact(26, image(26));
    await group.compact(28, image(28));
    expect(fs.readdirSync(path.join(dir, "snapshots")).length).toBe(2);
    await wal.close();
    const reopened = await openSharedLog(dir);
    expect(reopened.recovery.snapshotFilesRemoved).toEqual([]);
    expect(new TextDecoder().decode((await reopened.openGroup(3)).snapshot().data)).toBe("image at 28");
    await reopened.close();
  });

  test("a removed group is gone after a reopen, its image with it; its id can start a new group", async () => {
    const dir = freshDirectory("removed");
    await writeVariedGroups(dir);
    const wal = await openSharedLog(dir);
    await wal.removeGroup(3);
    await wal.removeGroup(4);
    expect(wal.groupIds()).toEqual([1, 2, 5]);
    expect(fs.readdirSync(path.join(dir, "snapshots"))).toEqual([]);
    await wal.close();
    const reopened = await openSharedLog(dir);
    expect(reopened.groupIds()).toEqual([1, 2, 5]);
    const renewed = await reopened.openGroup(3, { voters: [9], learners: [] });
    expect([renewed.firstIndex(), renewed.lastIndex(), renewed.initialState().confState.voters]).toEqual([1, 0, [9]]);
    await reopened.close();
  });

  test("a view is refused after its group is removed or the log closed", async () => {
    const wal = await openSharedLog(freshDirectory("closed-view"));
    const removed = await wal.openGroup(1, threeVoters);
    const kept = await wal.openGroup(2, threeVoters);
    await wal.removeGroup(1);
    expect(() => removed.persist({ entries: entriesOf(1, 1, 1) })).toThrow("storage used after close");
    await wal.close();
    expect(() => kept.persist({ entries: entriesOf(1, 1, 1) })).toThrow("storage used after close");
  });
});
