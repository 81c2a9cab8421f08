/**
 * A write that was proposed (placed in the leader's log) but not seen applied when its node
 * stops waiting has an unknown outcome: the entry may still commit under a new leader. It must
 * be answered TIMEOUT (the wire's "outcome unknown" for a write), never UNAVAILABLE, which
 * clients may resend to another member as a new write and so apply twice.
 */
import { afterEach, expect, test } from "bun:test";
import { encodeEntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import { waitFor } from "../support/wait_for.ts";
import { InProcessCluster } from "./in_process_cluster.ts";

let cluster: InProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const command = { op: "put", key: new Uint8Array([1]), value: new Uint8Array([2]) } as const;
const write = { kind: "write", identity: null, command } as const;

test("a proposed write whose node shuts down before it commits is TIMEOUT, not UNAVAILABLE", async () => {
  cluster = await InProcessCluster.start([1, 2, 3]);
  const leader = await cluster.leader();
  // Cut off from its followers, the leader places the write in its log but cannot commit it.
  cluster.network.isolate(leader.id);
  const lastIndexBefore = leader.driver.status().lastIndex;
  const settled = leader.driver.propose(encodeEntryPayload(write), Infinity).then(
    () => "applied",
    (error: { code?: string }) => error.code ?? "?",
  );
  await waitFor(() => leader.driver.status().lastIndex > lastIndexBefore, "the write placed in the leader's log");
  await cluster.stopNode(leader.id);
  expect(await settled).toBe("TIMEOUT");
});
