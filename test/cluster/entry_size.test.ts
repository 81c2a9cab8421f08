/**
 * Writes at the size limits of a replicated group: three nodes in one process whose network
 * carries every message in its peer frame, as TCP does (a frame over the limit would be dropped).
 * The largest value and the largest batch the client port allows replicate to every follower; a
 * write whose Raft entry is exactly the proposal limit replicates too; one byte more is refused
 * with TOO_LARGE and never proposed, while a write proposed in the same turn goes through.
 */
import { afterEach, expect, test } from "bun:test";
import { renderRaftMetrics } from "../../src/admin/raft_metrics.ts";
import { raftMessageSizes } from "../../src/cluster/cluster_limits.ts";
import { encodeEntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import type { Command } from "../../src/engine/types.ts";
import { resolveLimits } from "../../src/net/limits.ts";
import type { WriteContext } from "../../src/net/key_value_service.ts";
import { waitFor } from "../support/wait_for.ts";
import { InProcessCluster, text } from "./in_process_cluster.ts";

const portLimits = resolveLimits();
const mebibyte = 1024 * 1024;
const noIdentity: WriteContext = { deadlineAtMs: Infinity, sessionId: null, sequence: 0, oldestPendingSequence: 0 };

let cluster: InProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function framedCluster(): Promise<InProcessCluster> {
  cluster = await InProcessCluster.start([1, 2, 3], {}, { encodeFrames: true });
  return cluster;
}

/** Waits until every node applied what the leader applied, then says whether any frame was dropped. */
async function everyNodeCaughtUp(running: InProcessCluster, leaderId: number): Promise<number> {
  const applied = running.node(leaderId).driver.machine.appliedIndex;
  for (const node of running.nodes.values()) {
    await waitFor(() => node.driver.machine.appliedIndex >= applied, `node ${node.id} to apply ${applied}`);
  }
  return [...running.nodes.values()].reduce((total, node) => total + node.transport.stats().messagesDroppedTooLarge, 0);
}

/** As many puts as the port allows in a batch, each with the largest key, their values the largest value in all. */
function largestBatch(): Command {
  const valueBytes = Math.floor(portLimits.valueSizeBytesMax / portLimits.batchOperationsMax);
  const commands = Array.from({ length: portLimits.batchOperationsMax }, (_, index) => {
    const key = new Uint8Array(portLimits.keySizeBytesMax).fill(0x62);
    new DataView(key.buffer).setUint32(0, index);
    return { op: "put" as const, key, value: new Uint8Array(valueBytes).fill(index % 256) };
  });
  return { op: "batch", commands };
}

/**
 * A batch of three cas whose entry is exactly `entryBytes`: its expected values (which the
 * engine's record does not carry) make up the size. They match nothing, so the batch applies
 * as a failed cas, which is enough to replicate it.
 */
function batchWithEntryBytes(entryBytes: number): Command {
  const large = 7 * mebibyte;
  let filler = entryBytes - 2 * large;
  for (let attempt = 0; attempt < 4; attempt++) {
    const commands = [large, large, filler].map((expectedBytes, index) => (
      { op: "cas" as const, key: text(`cas-${index}`), expected: new Uint8Array(expectedBytes), value: text("v") }));
    const command: Command = { op: "batch", commands };
    const encoded = encodeEntryPayload({ kind: "write", identity: null, command }).length;
    if (encoded === entryBytes) return command;
    filler += entryBytes - encoded;
  }
  throw new Error(`no batch of cas encodes to ${entryBytes} bytes`);
}

test("the largest value and the largest batch the client port allows replicate to every follower", async () => {
  const running = await framedCluster();
  const leader = await running.leader();
  const key = new Uint8Array(portLimits.keySizeBytesMax).fill(0x6b);
  const value = new Uint8Array(portLimits.valueSizeBytesMax).fill(0x76);
  const identified = { ...noIdentity, sessionId: new Uint8Array(portLimits.sessionIdBytesMax).fill(1), sequence: 1 };
  await leader.service.applyWithContext({ op: "put", key, value }, identified);
  const batch = largestBatch();
  expect(encodeEntryPayload({ kind: "write", identity: null, command: batch }).length).toBeGreaterThan(12 * mebibyte);
  expect((await leader.service.applyWithContext(batch, noIdentity)).op).toBe("batch");
  expect(await everyNodeCaughtUp(running, leader.id)).toBe(0);
  const metrics: string[] = [];
  renderRaftMetrics(metrics, leader.driver, leader.transport.stats());
  expect(metrics).toContain("filestore_peer_messages_dropped_too_large_total 0");
  for (const node of running.nodes.values()) {
    const stored = node.engine.get(key)?.value.length;
    expect({ node: node.id, valueBytes: stored }).toEqual({ node: node.id, valueBytes: value.length });
  }
});

test("an entry of exactly the proposal limit replicates; one byte more is TOO_LARGE and never proposed", async () => {
  const running = await framedCluster();
  const leader = await running.leader();
  const { proposalBytesMax } = raftMessageSizes;
  await leader.service.applyWithContext(batchWithEntryBytes(proposalBytesMax), noIdentity);
  expect(await everyNodeCaughtUp(running, leader.id)).toBe(0);

  const lastIndexBefore = leader.driver.status().lastIndex;
  // Both in one turn: the one too large is left out of the batch, not the batch refused for it.
  const tooLarge = leader.service.applyWithContext(batchWithEntryBytes(proposalBytesMax + 1), noIdentity);
  const small = leader.service.applyWithContext({ op: "put", key: text("small"), value: text("v") }, noIdentity);
  await expect(tooLarge).rejects.toMatchObject({
    code: "TOO_LARGE",
    message: `the write's Raft entry is ${proposalBytesMax + 1} bytes, over the ${proposalBytesMax}-byte limit `
      + "(one entry must fit one append message to the followers)",
  });
  expect((await small).op).toBe("put");
  expect(leader.driver.status().lastIndex).toBe(lastIndexBefore + 1);
  expect(await everyNodeCaughtUp(running, leader.id)).toBe(0);
});
