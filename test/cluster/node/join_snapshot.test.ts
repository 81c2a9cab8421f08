/**
 * A node joins a sharded cluster whose coordinator has compacted its log (a snapshot every 2
 * entries, none kept behind it): the leader can no longer send the log from its start, so the
 * joining node, whose meta group starts empty, catches up by the leader's snapshot, and from it
 * alone learns the nodes, the shard map and itself, then marks itself up.
 */
import { afterAll, expect, test } from "bun:test";
import { waitFor } from "../../support/wait_for.ts";
import { ShardedHarness } from "./sharded_harness.ts";

let harness: ShardedHarness | undefined;
afterAll(async () => {
  await harness?.close();
});

test("a joining node catches up by the coordinator's snapshot when the log it would need is compacted", async () => {
  const running = await ShardedHarness.start(3, 2, { snapshotEveryEntries: 2, metaEntriesKeptAfterSnapshot: 0 });
  harness = running;
  await running.untilReady();
  const leads = (id: number) => running.node(id).meta.isLeader();
  const leaderId = await waitFor(() => [1, 2, 3].find(leads), "a coordinator leader");
  const leader = running.node(leaderId);
  await waitFor(() => leader.meta.status().firstIndex > 1, "the coordinator's log compacted past its start");
  const joined = await running.addJoiningNode(4, leaderId);
  await waitFor(() => leader.coordinator.node(4)?.state === "up", "n4 up");
  expect(joined.meta.counters.snapshotsInstalled).toBeGreaterThan(0);
  const shape = (node: typeof leader) =>
    node.coordinator.shardMap()!.shards.map(({ id, range, epoch }) => ({ id, range, epoch }));
  await waitFor(() => joined.coordinator.node(4)?.state === "up", "n4's own copy showing it up");
  expect(shape(joined)).toEqual(shape(leader));
  expect(joined.coordinator.nodes().map((node) => node.name)).toEqual(["n1", "n2", "n3", "n4"]);
}, 60_000);
