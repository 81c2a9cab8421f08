/**
 * Crash safety of the shared log against a disk that keeps only what an fdatasync covered: at
 * every fdatasync of the log the test copies its folder (the disk as a crash would leave it at
 * worst). Every few turns it crashes in the middle of one: the turn's write is made, its
 * fdatasync still runs, and the copy is opened with a seeded part of that write torn onto its
 * newest segment. Every write acknowledged until then, of every group, must be there; the torn
 * part is cut and reported.
 */
import { afterAll, expect, test } from "bun:test";
import path from "node:path";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "../../log/helpers.ts";
import { AcknowledgedGroups } from "./acknowledged_groups.ts";
import { runTurn, seededRandom } from "./group_workload.ts";
import { openSharedLog, threeVoters } from "./helpers.ts";
import { SyncedDisk } from "./synced_disk.ts";

/** Fixed seed: a failing run replays the same turns and crash points. */
const seed = 16_2026;
const groupCount = 6;
const turnCount = 100;
/** A crash image is opened after every this many turns. */
const turnsPerCrash = 10;
/** Small segments and images: a run rolls, compacts and drops segments many times. */
const segmentSizeBytes = 4096;

const root = makeTemporaryDirectory("wal-synced-image");
afterAll(() => removeTemporaryDirectory(root));

test("every acknowledged write of every group survives a crash that loses the unsynced ones", async () => {
  const live = path.join(root, "live");
  const disk = new SyncedDisk(live, root);
  const wal = await openSharedLog(live, { segmentSizeBytes, onFsync: disk.takeImage });
  const groups: GroupStorage[] = [];
  for (let groupId = 1; groupId <= groupCount; groupId++) groups.push(await wal.openGroup(groupId, threeVoters));
  const random = seededRandom(seed);
  const crashRandom = seededRandom(seed + 1);
  const acknowledged = new AcknowledgedGroups();
  let tornTails = 0;
  const crashAndCheck = async () => {
    const crash = disk.crashCopy(crashRandom);
    const recovered = await openSharedLog(crash.dir, { segmentSizeBytes });
    if (crash.torn) expect(recovered.recovery.log.tornTail).not.toBeNull();
    if (recovered.recovery.log.tornTail !== null) tornTails++;
    expect(recovered.groupIds()).toEqual(groups.map((group) => group.groupId));
    await acknowledged.check(recovered, false);
    await recovered.close();
    crashes++;
  };
  let crashes = 0;
  for (let turn = 1; turn <= turnCount; turn++) {
    // Segments dropped while compactions are written: a crash then must find them whole.
    const inFlight = runTurn(wal, groups, random, crashAndCheck);
    if (turn % turnsPerCrash === 0) {
      // The turn's flush (an earlier setImmediate) has written its records; its fdatasync runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await crashAndCheck();
    }
    for (const acknowledgement of await inFlight) acknowledged.add(acknowledgement);
  }
  await wal.close();
  expect(acknowledged.count()).toBe(groupCount);
  expect(disk.imagesTaken).toBeGreaterThan(turnCount);
  expect(wal.stats().segmentsDropped).toBeGreaterThan(0);
  expect(tornTails).toBeGreaterThan(0);
  expect(crashes).toBeGreaterThan(turnCount / turnsPerCrash);
});
