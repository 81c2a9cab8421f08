/**
 * Real processes: three `filestore serve` nodes on 127.0.0.1 under client load while the leader
 * is killed with SIGKILL, a follower is paused with SIGSTOP, and killed nodes come back. Every
 * acknowledged write must be readable at the end, and the recorded history linearizable.
 *
 * Faults follow the workload's progress, not the clock: each comes once the clients have had a
 * number of operations acknowledged since the last one, so every phase (a new leader, a paused
 * follower, a node back) is seen to serve writes, however fast or slow the machine is.
 */
import { afterEach, expect, test } from "bun:test";
import { checkLinearizable } from "../lincheck/checker.ts";
import { kvModel } from "../lincheck/kv_model.ts";
import { ProcessCluster } from "./process_cluster.ts";
import { finalReads, missingAcknowledged, startWorkload } from "./workload.ts";

/** Clients at once: enough to overlap requests, few enough that the history stays quick to check. */
const clients = 4;
/** Operations acknowledged in each phase before the next fault: a few rounds of every client. */
const acknowledgedPerPhase = 20;
/** Unique keys acknowledged before every node is killed at once. */
const acknowledgedKeysBeforeKill = 20;
/** Status polls (20 ms apart) for a leader after every node restarted: at least 30 s for recovery and election. */
const restartLeaderPollsMax = 1500;
/** Budget of the checker's search (deterministic steps, see checker.ts). */
const checkStepsMax = 2_000_000;

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test("leader SIGKILL, follower SIGSTOP, restarts: no acknowledged write lost, history linearizable", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const running = cluster;
  await running.leader();
  const workload = await startWorkload(running.clientAddresses(), clients);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  const firstLeader = await running.leader();
  await running.kill(firstLeader);
  // Only running nodes answer: the leader found now is a new one.
  const secondLeader = await running.leader();
  expect(secondLeader).not.toBe(firstLeader);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await running.launch(firstLeader, []);
  const follower = [...running.nodes.keys()].find((id) => id !== secondLeader)!;
  running.pause(follower);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  running.resume(follower);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await running.kill(secondLeader);
  await running.leader();
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await running.launch(secondLeader, []);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  const result = await workload.stop();
  await running.leader();
  await finalReads(running.clientAddresses(), result);
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  const verdict = checkLinearizable(kvModel, result.history, { maxSteps: checkStepsMax });
  expect(verdict).toEqual({ result: "ok" });
}, 60_000);

test("all three nodes killed at once with writes in flight, then restarted: nothing acknowledged is lost", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const running = cluster;
  await running.leader();
  const workload = await startWorkload(running.clientAddresses(), clients);
  await workload.until((now) => now.acknowledgedKeys.size >= acknowledgedKeysBeforeKill, "acknowledged unique keys");
  await Promise.all([...running.nodes.keys()].map((id) => running.kill(id)));
  const result = await workload.stop();
  await Promise.all([...running.nodes.keys()].map((id) => running.launch(id, [])));
  // Three processes recovering at once on a shared machine: allow the election more time.
  await running.leader({ attemptsMax: restartLeaderPollsMax });
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  await finalReads(running.clientAddresses(), result);
  expect(checkLinearizable(kvModel, result.history, { maxSteps: checkStepsMax })).toEqual({ result: "ok" });
}, 60_000);
