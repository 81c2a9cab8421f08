/**
 * Readable node names with real processes: a group of db-a, db-b and db-c elects a leader and
 * `filestore status` shows the names; `cluster add-node db-d=...` adds a fourth, whose name
 * every member prints, also one that never saw the request; bad names and two names with the
 * same internal id stop `serve` with one line naming the problem.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { runCommand, sourceProgram } from "../cli/process_harness.ts";
import { ProcessCluster } from "./process_cluster.ts";

const names = ["db-a", "db-b", "db-c", "db-d"];
/** Status polls while followers announce their addresses (about once a second each). */
const statusPollsMax = 200;

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const run = (args: string[]) => runCommand(sourceProgram, args);

/** The first column of status's member rows, once every member in `expected` answers. */
async function statusNames(admin: string, expected: string[]): Promise<string[]> {
  let shown: string[] = [];
  for (let poll = 0; poll < statusPollsMax; poll++) {
    const status = await run(["status", "--admin", admin]);
    const firstColumn = status.stdoutText.trim().split("\n").slice(1).map((line) => line.split(/\s+/)[0]);
    shown = firstColumn.filter((name) => names.includes(name));
    if (expected.every((name) => shown.includes(name))) return shown.sort();
    await Bun.sleep(50);
  }
  return shown.sort();
}

test("a group named db-a, db-b, db-c: status shows the names; add-node db-d names it on every member", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, nodeName: (id) => names[id - 1] });
  const running = cluster;
  const leader = await running.leader();
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  const followerAdmin = running.nodes.get(follower)!.adminAddress;
  expect(await statusNames(followerAdmin, ["db-a", "db-b", "db-c"])).toEqual(["db-a", "db-b", "db-c"]);
  const leaderView = (await running.status(follower))!;
  expect(leaderView.leader).toBe(names[leader - 1]);
  const metrics = await (await fetch(`http://${running.nodes.get(leader)!.adminAddress}/metrics`)).text();
  expect(metrics).toContain(`peer="${names[follower - 1]}"`);

  const newcomer = running.define(4);
  await running.launch(4, ["--join"], running.peerList([1, 2, 3, 4]));
  const added = await run(["cluster", "add-node", `db-d=${newcomer.peerAddress}`, "--admin", followerAdmin]);
  expect(added.stderrText).toBe("");
  expect(added.exitCode).toBe(ExitCode.ok);
  // The follower forwarded the request to the leader and never parsed the name: it learns it
  // from the replicated member announcement.
  // Listed by name (voters first), not by the internal ids the names hash to.
  const members = (await running.status(follower))!.members.map((member) => `${member.node}:${member.role}`);
  expect(members).toEqual(["db-a:voter", "db-b:voter", "db-c:voter", "db-d:voter"]);
  expect(await statusNames(newcomer.adminAddress, names)).toEqual(names);

  const transfer = await run(["cluster", "transfer-leader", "db-d", "--admin", followerAdmin]);
  expect(transfer.exitCode).toBe(ExitCode.ok);
  expect(await running.leader()).toBe(4);
}, 60_000);

test("bad names, and two names with one internal id, stop serve with one line (exit 5)", async () => {
  cluster = new ProcessCluster({ nodes: 0 });
  const peer = (name: string, port: number) => `${name}=127.0.0.1:${port}`;
  const ports = ["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"];
  const serve = (nodeId: string, peers: string) =>
    run(["serve", "--node-id", nodeId, "--peers", peers, ...ports, "--data", join(cluster!.directory, "d")]);
  const rule = 'must be letters, digits and "-", starting with a letter and not ending with "-" (e.g. db-a or n1)';

  const badNodeId = await serve("db_a", peer("db_a", 1));
  expect(badNodeId.exitCode).toBe(ExitCode.serveFailed);
  expect(badNodeId.stderrText).toBe(`filestore: config: node-id (from flags): node name "db_a" ${rule}\n`);

  const badPeer = await serve("db-a", `${peer("db-a", 1)},${peer("db-", 2)}`);
  expect(badPeer.exitCode).toBe(ExitCode.serveFailed);
  expect(badPeer.stderrText).toBe(`filestore: config: peers (from flags): node name "db-" ${rule}\n`);

  const colliding = await serve("node-qrh", `${peer("node-qrh", 1)},${peer("node-1he5", 2)}`);
  expect(colliding.exitCode).toBe(ExitCode.serveFailed);
  const id = (Bun.hash.xxHash32("node-qrh") | 0x80000000) >>> 0;
  expect(colliding.stderrText).toBe(
    `filestore: config: peers (from flags): node names "node-qrh" and "node-1he5" map to the same internal id ${id}; ` +
      "rename one of them\n",
  );
});
