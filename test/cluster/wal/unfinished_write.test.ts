/**
 * SharedLog.unfinishedWriteSinceMs, the hook node liveness uses to tell a stuck disk: since when
 * (on the log's clock) the oldest unfinished group commit has been awaited, null when none is.
 */
import { expect, test } from "bun:test";
import { SimulatedClock } from "../../../src/util/simulated_clock.ts";
import { directoriesPerTest } from "../../log/helpers.ts";
import { entriesOf, hardState } from "../storage/helpers.ts";
import { openSharedLog, threeVoters } from "./helpers.ts";

const freshDirectory = directoriesPerTest();

test("a write is dated from when it was first awaited until its group commit finishes", async () => {
  const clock = new SimulatedClock(1000);
  const wal = await openSharedLog(freshDirectory("unfinished"), { clock });
  const [one, two] = [await wal.openGroup(1, threeVoters), await wal.openGroup(2, threeVoters)];
  expect(wal.unfinishedWriteSinceMs()).toBeNull();
  const first = one.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 1, 1) });
  // The group commit runs on a later turn: until then the write is unfinished, however long that takes.
  clock.advance(500);
  const second = two.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 1, 1) });
  expect(wal.unfinishedWriteSinceMs()).toBe(1000);
  await Promise.all([first, second]);
  await Promise.resolve();
  expect(wal.unfinishedWriteSinceMs()).toBeNull();
  await wal.close();
});
