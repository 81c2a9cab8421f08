/**
 * Real processes: a follower stopped (SIGKILL) while the others write past a log compaction
 * catches up by snapshot when it restarts; a fourth node joins as a learner, is promoted, and an
 * old node is removed, while writes go on.
 */
import { afterEach, expect, test } from "bun:test";
import { postToLeader } from "../../src/cli/cluster_commands.ts";
import { connect } from "../../src/client/index.ts";
import { defaultRaftConfig } from "../../src/cluster/raft/config.ts";
import { checkLinearizable } from "../lincheck/checker.ts";
import { kvModel } from "../lincheck/kv_model.ts";
import { waitFor } from "../support/wait_for.ts";
import { ProcessCluster } from "./process_cluster.ts";
import { finalReads, missingAcknowledged, startWorkload } from "./workload.ts";

/** Appends in flight per follower, after which a leader stops sending to a silent one. */
const inflightAppendsDefault = defaultRaftConfig.inflightAppendsMax;
/** Writes while the follower is down: well past the in-flight window, so the tail needs a snapshot. */
const writesCount = 600;
/** Operations acknowledged before, between and after the membership changes. */
const acknowledgedPerStep = 20;
/** Status polls of a node (20 ms apart) while waiting for a compaction or a catch-up. */
const statusPoll = { intervalMs: 20, attemptsMax: 1000 };

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test("a follower stopped while the others write past a compaction catches up by snapshot when it returns", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--snapshot-every-entries", "50"] });
  const running = cluster;
  const leader = await running.leader();
  const follower = [...running.nodes.keys()].find((id) => id !== leader)!;
  const before = (await running.status(follower))!;
  // Killed rather than paused: a paused process's kernel still buffers what the leader sends, so
  // it could catch up from entries received before the compaction.
  await running.kill(follower);
  const store = await connect(running.clientAddresses(), { cluster: true, timeoutMs: 5000 });
  // One write per loop turn, so the leader's appends to the stopped follower fill its in-flight
  // window (inflightAppendsMax) and stop: what was queued for it before that cannot cover the
  // entries after, which the compaction removes.
  for (let i = 0; i < writesCount; i++) await store.put(`key-${i}`, `value-${i}`);
  await store.close();
  const compacted = async () => ((await running.status(leader))?.firstIndex ?? 0) > inflightAppendsDefault + before.lastIndex + 1;
  await waitFor(compacted, "a compaction on the leader", statusPoll);
  const leaderStatus = (await running.status(leader))!;
  await running.launch(follower, []);
  const caughtUp = async () => ((await running.status(follower))?.appliedIndex ?? 0) >= leaderStatus.commitIndex;
  await waitFor(caughtUp, "the follower to catch up", statusPoll);
  expect((await running.status(follower))!.counters.snapshotsInstalled).toBeGreaterThan(0);
  const direct = await connect(running.nodes.get(follower)!.clientAddress, { timeoutMs: 5000 });
  for (const i of [0, writesCount / 2, writesCount - 1]) {
    expect(new TextDecoder().decode((await direct.get(`key-${i}`, { consistency: "eventual" }))!)).toBe(`value-${i}`);
  }
  await direct.close();
}, 60_000);

test("membership: a fourth node joins as learner, is promoted, and an old node is removed while writes go on", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const running = cluster;
  const leader = await running.leader();
  const workload = await startWorkload(running.clientAddresses(), 3);
  await workload.acknowledgedMore(acknowledgedPerStep);
  const newcomer = running.define(4);
  await running.launch(4, ["--join"], running.peerList([1, 2, 3, 4]));
  const anyAdmin = running.nodes.get(1)!.adminAddress;
  await postToLeader(anyAdmin, `/cluster/add-node?node=n4&peer=${newcomer.peerAddress}`, 30_000);
  await workload.acknowledgedMore(acknowledgedPerStep);
  const removedId = [1, 2, 3].find((id) => id !== leader)!;
  const { members } = await postToLeader(anyAdmin, `/cluster/remove-node?node=n${removedId}`, 30_000);
  expect(members.map((member) => `${member.node}:${member.role}`).sort()).toEqual(
    [1, 2, 3, 4].filter((id) => id !== removedId).map((id) => `n${id}:voter`).sort(),
  );
  await workload.acknowledgedMore(acknowledgedPerStep);
  const result = await workload.stop();
  await running.kill(removedId);
  await finalReads(running.clientAddresses(), result);
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  expect(checkLinearizable(kvModel, result.history, { maxSteps: 2_000_000 })).toEqual({ result: "ok" });
  await running.waitUntilCaughtUp(4);
  const onNewcomer = await connect(newcomer.clientAddress, { timeoutMs: 5000 });
  const [someKey, someValue] = [...result.acknowledgedKeys][0]!;
  expect(new TextDecoder().decode((await onNewcomer.get(someKey, { consistency: "eventual" }))!)).toBe(someValue);
  await onNewcomer.close();
}, 60_000);
