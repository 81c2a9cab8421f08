/**
 * Real processes: three `filestore serve --shards 16` nodes on 127.0.0.1 (fsync always) under a
 * client workload whose unique keys spread over every shard and whose shared keys lie in a few,
 * while one node is killed with SIGKILL and restarted, another paused with SIGSTOP and resumed,
 * and finally all three are killed at once and restarted. Every acknowledged write must be
 * readable at the end and the recorded history linearizable per key (test/lincheck/).
 *
 * Faults follow the workload's progress (N more acknowledged operations), never the clock.
 */
import { afterEach, expect, test } from "bun:test";
import { connect } from "../../../src/client/index.ts";
import { checkLinearizable } from "../../lincheck/checker.ts";
import { kvModel } from "../../lincheck/kv_model.ts";
import { ProcessCluster } from "../process_cluster.ts";
import { finalReads, missingAcknowledged, startWorkload } from "../workload.ts";

const shards = 16;
const clients = 4;
/** Operations acknowledged in each phase before the next fault. */
const acknowledgedPerPhase = 20;
/** A first write may wait for the coordinator's bootstrap and every shard's first election. */
const firstWriteTimeoutMs = 30_000;
/** Budget of the checker's search (deterministic steps, see checker.ts). */
const checkStepsMax = 2_000_000;

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Waits until the cluster serves a write (bootstrapped, the key's shard elected) through the routing client. */
async function untilServing(addresses: string[]): Promise<void> {
  const store = await connect(addresses, { timeoutMs: firstWriteTimeoutMs });
  try {
    await store.put("probe/ready", "1");
  } finally {
    await store.close();
  }
}

test("SIGKILL, SIGSTOP, all nodes killed at once, 16 shards: nothing acknowledged lost, linearizable", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--shards", String(shards)] });
  const running = cluster;
  await untilServing(running.clientAddresses());
  const workload = await startWorkload(running.clientAddresses(), clients);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await running.kill(1);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await running.launch(1, []);
  running.pause(2);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  running.resume(2);
  await workload.acknowledgedMore(acknowledgedPerPhase);
  await Promise.all([...running.nodes.keys()].map((id) => running.kill(id)));
  const result = await workload.stop();
  await Promise.all([...running.nodes.keys()].map((id) => running.launch(id, [])));
  await untilServing(running.clientAddresses());
  expect(await missingAcknowledged(running.clientAddresses(), result.acknowledgedKeys)).toEqual([]);
  expect(result.acknowledgedKeys.size).toBeGreaterThan(0);
  await finalReads(running.clientAddresses(), result);
  expect(checkLinearizable(kvModel, result.history, { maxSteps: checkStepsMax })).toEqual({ result: "ok" });
}, 120_000);
