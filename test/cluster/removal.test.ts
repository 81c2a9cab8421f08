/**
 * A replica removed from its group learns it and stops (node_removal.ts), in one process with the
 * in-memory network, whether it was connected or cut off while the removal committed. The removed
 * node refuses clients with UNAVAILABLE naming the removal and its /healthz answers 503; the others
 * keep serving. A node never listed is not told anything.
 */
import { afterEach, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import { removeNode } from "../../src/cluster/membership.ts";
import type { NodeRemoval } from "../../src/cluster/node_removal.ts";
import type { ReadContext } from "../../src/net/key_value_service.ts";
import { waitFor } from "../support/wait_for.ts";
import { InProcessCluster, readText, text, type ClusterNode } from "./in_process_cluster.ts";

const eventual: ReadContext = { consistency: "eventual", maxStalenessMs: 0, deadlineAtMs: Infinity, trace: null };
const soon = () => performance.now() + 5000;

let cluster: InProcessCluster | undefined;
let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  admin = undefined;
  await cluster?.close();
  cluster = undefined;
});

async function startWithRemovals(): Promise<{ cluster: InProcessCluster; removals: NodeRemoval[] }> {
  const removals: NodeRemoval[] = [];
  cluster = await InProcessCluster.start([1, 2, 3], { onRemoved: (removal) => removals.push(removal) });
  return { cluster, removals };
}

async function healthOf(node: ClusterNode): Promise<string> {
  admin = startAdminServer({
    host: "127.0.0.1", port: 0, metrics: new ServerMetrics(), engineStats: () => null,
    isServing: () => true, cluster: () => node.driver,
  });
  const response = await fetch(`http://127.0.0.1:${admin.port}/healthz`);
  return `${response.status} ${await response.text()}`;
}

test("a removed follower learns it from the others' refusal, refuses clients, answers 503", async () => {
  const { cluster, removals } = await startWithRemovals();
  const leader = await cluster.leader();
  const removed = [...cluster.nodes.values()].find((node) => node.id !== leader.id)!;
  const kept = [...cluster.nodes.values()].find((node) => node.id !== leader.id && node.id !== removed.id)!;
  await leader.service.apply({ op: "put", key: text("k"), value: text("before") });
  await waitFor(() => removed.engine.get(text("k")) !== null, "the write on the node to remove");
  expect(await healthOf(removed)).toBe("200 ok\n");
  await admin!.close();

  await removeNode(leader.driver, removed.id, soon());
  await waitFor(() => removed.driver.removed !== null, "the removed node to learn it");
  expect(removals).toHaveLength(1);
  expect(removals[0]).toEqual({ node: removed.id, membershipIndex: expect.any(Number),
    learnedFrom: expect.any(Number) });
  expect([leader.id, kept.id]).toContain(removals[0].learnedFrom);
  const message = `node n${removed.id} was removed from the group; use another member`;
  const refusal = { code: "UNAVAILABLE", message };
  expect(() => removed.service.get(text("k"), eventual)).toThrow(expect.objectContaining(refusal));
  await expect(removed.service.apply({ op: "put", key: text("k"), value: text("x") })).rejects.toMatchObject(refusal);
  expect(await healthOf(removed)).toBe("503 unavailable: removed from the group\n");

  await leader.service.apply({ op: "put", key: text("k"), value: text("after") });
  await waitFor(() => readText(kept.engine.get(text("k"))?.value) === "after", "the write on the other follower");
});

test("a follower cut off while its removal commits learns it once it reaches the others again", async () => {
  const { cluster, removals } = await startWithRemovals();
  const leader = await cluster.leader();
  const removed = [...cluster.nodes.values()].find((node) => node.id !== leader.id)!;
  cluster.network.isolate(removed.id);
  await removeNode(leader.driver, removed.id, soon());
  const kept = [...cluster.nodes.values()].find((node) => node.id !== leader.id && node.id !== removed.id)!;
  await waitFor(() => kept.driver.status().confState.voters.length === 2, "the removal on the other follower");
  expect(removed.driver.removed).toBeNull();
  cluster.network.heal();
  await waitFor(() => removed.driver.removed !== null, "the removed node to learn it");
  expect(removals.map((removal) => removal.node)).toEqual([removed.id]);
});

test("a node that was never a member is not told it was removed", async () => {
  const { cluster, removals } = await startWithRemovals();
  await cluster.leader();
  const stranger = await cluster.startNode(4, { voters: [], learners: [] });
  // The stranger's messages are refused with a PeerRefusal; the second refusal is delivered after
  // the first, so once the second message is refused the first refusal has reached the stranger.
  for (const count of [1, 2]) {
    stranger.transport.send([{ type: "heartbeatResponse", from: 4, to: 1, term: 1, context: null, round: 0 }]);
    const refused = () => cluster.node(1).transport.stats().rejected.unknownNode >= count;
    await waitFor(refused, "the refusal of the stranger");
  }
  expect(stranger.driver.removed).toBeNull();
  expect(removals).toEqual([]);
});
