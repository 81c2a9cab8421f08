/**
 * Real processes: three `filestore serve` nodes on 127.0.0.1 under client load while the leader
 * is killed with SIGKILL, a follower is paused with SIGSTOP, and killed nodes come back. Every
 * acknowledged write must be readable at the end, and the recorded history linearizable.
 */
import { afterEach, expect, test } from "bun:test";
import { checkLinearizable } from "../lincheck/checker.ts";
import { kvModel } from "../lincheck/kv_model.ts";
import { ProcessCluster } from "./process_cluster.ts";
import { finalReads, missingAcknowledged, runWorkload } from "./workload.ts";

/** Clients at once: enough to overlap requests, few enough that the history stays quick to check. */
const clients = 4;
/** After every node restarted at once, the longest wait for a leader (recovery and election on a loaded machine). */
const restartLeaderWaitMs = 30_000;
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
  const started = performance.now();
  const workload = runWorkload(running.clientAddresses(), clients, started + 7000);
  await Bun.sleep(1000);
  const firstLeader = await running.leader();
  await running.kill(firstLeader);
  await Bun.sleep(1500);
  await running.launch(firstLeader, []);
  const secondLeader = await running.leader();
  const follower = [...running.nodes.keys()].find((id) => id !== secondLeader)!;
  running.pause(follower);
  await Bun.sleep(1000);
  running.resume(follower);
  await Bun.sleep(500);
  await running.kill(secondLeader);
  await Bun.sleep(1000);
  await running.launch(secondLeader, []);
  const result = await workload;
  await running.leader();
  await finalReads(running.clientAddresses(), result);
  expect(result.counts.ok).toBeGreaterThan(50);
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  const verdict = checkLinearizable(kvModel, result.history, { maxSteps: checkStepsMax });
  expect(verdict).toEqual({ result: "ok" });
}, 60_000);

test("all three nodes killed at once and restarted: nothing acknowledged is lost", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const running = cluster;
  await running.leader();
  const result = await runWorkload(running.clientAddresses(), clients, performance.now() + 1500);
  await Promise.all([...running.nodes.keys()].map((id) => running.kill(id)));
  await Promise.all([...running.nodes.keys()].map((id) => running.launch(id, [])));
  // Three processes recovering at once on a shared machine: allow the election more time.
  await running.leader(restartLeaderWaitMs);
  expect(result.acknowledgedKeys.size).toBeGreaterThan(10);
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  await finalReads(running.clientAddresses(), result);
  expect(checkLinearizable(kvModel, result.history, { maxSteps: checkStepsMax })).toEqual({ result: "ok" });
}, 60_000);
