/**
 * The operator commands against real processes: `filestore status` lists every member with its
 * role, term and indexes; `filestore cluster transfer-leader` moves leadership (sent to a
 * follower, it is forwarded to the leader); bad arguments are usage errors.
 */
import { afterEach, expect, test } from "bun:test";
import { runCommand, sourceProgram } from "../cli/process_harness.ts";
import { ProcessCluster } from "./process_cluster.ts";

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const run = (args: string[]) => runCommand(sourceProgram, args);

test("status lists the members; transfer-leader through a follower moves leadership; removing the leader hands over first; bad input is refused", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const leader = await cluster.leader();
  const follower = [...cluster.nodes.keys()].find((id) => id !== leader)!;
  const followerAdmin = cluster.nodes.get(follower)!.adminAddress;

  const transfer = await run(["cluster", "transfer-leader", `n${follower}`, "--admin", followerAdmin]);
  expect(transfer.stderrText).toBe("");
  expect(transfer.exitCode).toBe(0);
  expect(await cluster.leader()).toBe(follower);

  // Followers announce their own addresses through the leader; status waits for them.
  const status = await run(["status", "--admin", cluster.nodes.get(follower)!.adminAddress]);
  expect(status.exitCode).toBe(0);
  const lines = status.stdoutText.trim().split("\n");
  expect(lines[0]).toBe(`group healthy: 3 of 3 voters up, leader n${follower}`);
  expect(lines[1]).toMatch(/^node\s+role\s+term\s+leader\s+commit\s+applied\s+lag\s+health$/);
  expect(lines.some((line) => new RegExp(`^n${follower}\\s+leader\\s+\\d+\\s+n${follower}\\s`).test(line))).toBe(true);
  expect(lines.filter((line) => /^n\d/.test(line))).toHaveLength(3);

  // Removing the leader itself: it hands leadership over first, then the removal runs on the new leader.
  const removeLeader = await run(["cluster", "remove-node", `n${follower}`, "--admin", followerAdmin]);
  expect(removeLeader.stderrText).toBe("");
  expect(removeLeader.exitCode).toBe(0);
  const remaining = [...cluster.nodes.keys()].filter((id) => id !== follower);
  expect(remaining).toContain(await cluster.leader());
  await cluster.kill(follower);
  const afterRemoval = (await cluster.status(remaining[0]))!;
  expect(afterRemoval.members.map((member) => member.node).sort()).toEqual(remaining.map((id) => `n${id}`).sort());

  const liveAdmin = cluster.nodes.get(remaining[0])!.adminAddress;
  expect((await run(["cluster", "grow", "n4", "--admin", liveAdmin])).exitCode).toBe(2);
  expect((await run(["cluster", "add-node", "n4", "--admin", liveAdmin])).exitCode).toBe(2);
  const badNode = await run(["cluster", "remove-node", "node_four", "--admin", liveAdmin]);
  expect(badNode.exitCode).toBe(4);
  expect(badNode.stderrText).toContain('node name "node_four" must be letters, digits and "-"');
}, 60_000);
