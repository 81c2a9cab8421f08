/**
 * Bad input on the peer side harms nobody: a FileStore client or garbage on a node's peer port
 * is refused, counted by reason in /metrics, and the group keeps serving; a Raft message from a
 * node outside the group, or from an old term, changes nothing.
 */
import { afterEach, expect, test } from "bun:test";
import { connect } from "../../src/client/index.ts";
import type { ReadContext } from "../../src/net/key_value_service.ts";
import type { Message } from "../../src/cluster/raft/types.ts";
import { singleGroupId } from "../../src/cluster/transport/types.ts";
import { waitFor } from "../support/wait_for.ts";
import { InProcessCluster, readText, text } from "./in_process_cluster.ts";
import { ProcessCluster } from "./process_cluster.ts";

const strong: ReadContext = { consistency: "strong", maxStalenessMs: 0, deadlineAtMs: Infinity, trace: null };

let processes: ProcessCluster | undefined;
let inProcess: InProcessCluster | undefined;
afterEach(async () => {
  await processes?.close();
  await inProcess?.close();
  processes = undefined;
  inProcess = undefined;
});

test("a client or garbage on the peer port is refused and the group keeps serving", async () => {
  processes = await ProcessCluster.start({ nodes: 3 });
  const running = processes;
  const leader = await running.leader();
  const peerAddress = running.nodes.get(leader)!.peerAddress;
  await expect(connect(peerAddress, { timeoutMs: 1000 })).rejects.toMatchObject({ code: "UNAVAILABLE" });
  const [host, port] = peerAddress.split(":");
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({ hostname: host, port: Number(port), socket: { data() {}, close: () => closed.resolve() } });
  socket.write(new Uint8Array([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]));
  await closed.promise;
  const store = await connect(running.clientAddresses(), { cluster: true, timeoutMs: 5000 });
  await store.put("after-bad-input", "still-serving");
  expect(new TextDecoder().decode((await store.get("after-bad-input"))!)).toBe("still-serving");
  await store.close();
  expect(await running.leader()).toBe(leader);
  // Both refusals are counted, by reason, in the refusing node's metrics.
  const metrics = await (await fetch(`http://${running.nodes.get(leader)!.adminAddress}/metrics`)).text();
  const refused = (reason: string) => {
    const sample = `filestore_peer_input_refused_total{reason="${reason}"}`;
    const line = metrics.split("\n").find((row) => row.startsWith(sample));
    return Number(line?.split(" ").at(-1));
  };
  expect(refused("client_protocol")).toBeGreaterThanOrEqual(1);
  expect(refused("malformed_frame")).toBeGreaterThanOrEqual(1);
}, 60_000);

test("messages from an unknown node or an old term change nothing", async () => {
  inProcess = await InProcessCluster.start([1, 2, 3]);
  const leader = await inProcess.leader();
  await leader.service.apply({ op: "put", key: text("k"), value: text("v") });
  const follower = [...inProcess.nodes.values()].find((node) => node.id !== leader.id)!;
  await waitFor(() => follower.engine.get(text("k")) !== null, "the write on the follower");
  const term = leader.driver.status().term;
  const rejectedBefore = follower.transport.stats().rejected.unknownNode;
  // From a node outside the group: a higher-term vote request, refused by the transport.
  const stranger = inProcess.network.join(42, new Map([[follower.id, "memory"]]));
  stranger.send([{ type: "vote", from: 42, to: follower.id, term: term + 5, lastIndex: 1000, lastTerm: term + 5, leadershipTransfer: false }]);
  // From a member, but an old term: an append that would rewind the commit index.
  const network = inProcess.network;
  const fromLeader = (message: Message) => network.deliverNow(leader.id, follower.id, singleGroupId, message);
  const addressed = { from: leader.id, to: follower.id };
  fromLeader({ type: "append", ...addressed, term: 0, prevIndex: 0, prevTerm: 0, commit: 0, entries: [] });
  // From a member, malformed: entries of a later term than the message itself.
  fromLeader({
    type: "append", from: leader.id, to: follower.id, term, prevIndex: 0, prevTerm: 0, commit: 0,
    entries: [{ index: 1, term: term + 1, kind: "normal", data: new Uint8Array(0) }],
  });
  expect(follower.driver.counters.messagesRefused).toBe(1);
  await waitFor(() => follower.transport.stats().rejected.unknownNode > rejectedBefore, "the stranger's message refused");
  await leader.service.apply({ op: "put", key: text("k"), value: text("v2") });
  expect(leader.driver.status().term).toBe(term);
  expect(leader.driver.isLeader()).toBe(true);
  expect(readText((await leader.service.get(text("k"), strong))?.value)).toBe("v2");
  await waitFor(() => readText(follower.engine.get(text("k"))?.value) === "v2", "the follower applying the next write");
  await stranger.close();
});
