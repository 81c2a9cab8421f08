/**
 * Online membership changes, one server at a time (Raft §4.1), driven from the leader:
 * - add: announce the new node's peer address in the log (so every member can reach it), add it
 *   as a learner (it receives the log but does not vote, §4.2.1), and promote it to voter once it
 *   has caught up (the core refuses the promotion while it lags; this retries until the deadline);
 * - remove: one configuration change; a removed leader steps down once it is committed;
 * - transfer: leadership transfer (§3.10), finished when another node leads.
 */
import { encodeEntryPayload } from "./entry_payload_codec.ts";
import { formatNodeId } from "./node_id.ts";
import type { ConfChange, NodeId } from "./raft/types.ts";
import type { KeyValueDriver } from "./key_value_replica.ts";
import { ReplicationError } from "./replication_error.ts";
import { sleep } from "../util/clock.ts";

/** How often a refused promotion or an unfinished transfer is looked at again. */
const retryIntervalMs = 20;

export async function addNode(driver: KeyValueDriver, node: NodeId, peerAddress: string, deadlineAtMs: number): Promise<void> {
  const { voters, learners } = driver.status().confState;
  if (voters.includes(node)) return;
  const announcement = { kind: "member", node, addresses: { clientAddress: "", adminAddress: "", peerAddress } } as const;
  await driver.propose(encodeEntryPayload(announcement), deadlineAtMs);
  if (!learners.includes(node)) await changeWhileRefused(driver, { kind: "addLearner", node }, deadlineAtMs);
  await changeWhileRefused(driver, { kind: "promoteLearner", node }, deadlineAtMs);
}

/**
 * UNAVAILABLE from a change is the core refusing for now: the learner still lags, another
 * change is not yet committed, or a new leader has not committed an entry of its term (§4.1).
 */
async function changeWhileRefused(driver: KeyValueDriver, change: ConfChange, deadlineAtMs: number): Promise<void> {
  while (true) {
    try {
      return await driver.changeMembership(change, deadlineAtMs);
    } catch (error) {
      const refusedForNow = error instanceof ReplicationError && error.code === "UNAVAILABLE";
      if (!refusedForNow || driver.clock.now() > deadlineAtMs) throw error;
      await sleep(driver.clock, retryIntervalMs);
    }
  }
}

export async function removeNode(driver: KeyValueDriver, node: NodeId, deadlineAtMs: number): Promise<void> {
  const { voters, learners } = driver.status().confState;
  if (!voters.includes(node) && !learners.includes(node)) return;
  await changeWhileRefused(driver, { kind: "removeNode", node }, deadlineAtMs);
}

export async function transferLeader(driver: KeyValueDriver, to: NodeId, deadlineAtMs: number): Promise<void> {
  if (driver.leaderId() === to) return;
  driver.transferLeadership(to);
  while (driver.isLeader() || driver.leaderId() === 0) {
    if (driver.clock.now() > deadlineAtMs) {
      throw new ReplicationError("TIMEOUT", `leadership did not move to ${formatNodeId(to)} within the deadline`);
    }
    await sleep(driver.clock, retryIntervalMs);
  }
}
