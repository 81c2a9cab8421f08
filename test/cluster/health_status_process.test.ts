/**
 * Health and visibility against real processes: `filestore status` and `cluster members` right
 * after a start show every member (exit 0); on the leader of a group whose two followers were
 * stopped, /healthz answers 503 "no quorum" while /livez stays 200, and status and members say
 * the group is unhealthy in words and exit 6; unknown nodes are named as such; a status of a
 * single node shows its state; an unreachable admin endpoint is said in words (exit 3).
 */
import { afterEach, expect, test } from "bun:test";
import packageJson from "../../package.json";
import {
  freshNodeArgs, makeTempDir, runCommand, sourceProgram, startServe, type ServeProcess,
} from "../cli/process_harness.ts";
import { findFreePort, ProcessCluster } from "./process_cluster.ts";

/** Polls of /healthz while waiting for a state, one every healthPollIntervalMs; the bound only stops a hung test. */
const healthPollsMax = 1000;
const healthPollIntervalMs = 10;

let cluster: ProcessCluster | undefined;
let single: ServeProcess | undefined;
let dataDir: { remove(): void } | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  await single?.stop("SIGKILL");
  single = undefined;
  dataDir?.remove();
  dataDir = undefined;
});

const run = (args: string[]) => runCommand(sourceProgram, args);

async function probe(admin: string, path: string): Promise<string> {
  const response = await fetch(`http://${admin}${path}`);
  return `${response.status} ${await response.text()}`;
}

test("right after a start, status and members show every member healthy; unknown nodes are named", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const admin = cluster.nodes.get(1)!.adminAddress;
  const status = await run(["status", "--admin", admin]);
  expect(status.stderrText).toBe("");
  expect(status.exitCode).toBe(0);
  const lines = status.stdoutText.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^group healthy: 3 of 3 voters up, leader n[123]$/);
  expect(lines[1]).toMatch(/^node\s+role\s+term\s+leader\s+commit\s+applied\s+lag\s+health$/);
  expect(lines.slice(2).map((line) => line.split(/\s+/)[0]).sort()).toEqual(["n1", "n2", "n3"]);
  for (const line of lines.slice(2)) expect(line).toMatch(/\s(leader|follower)\s.*\sok$/);

  const members = await run(["cluster", "members", "--admin", admin, "-w", "json"]);
  expect(members.exitCode).toBe(0);
  const listed = JSON.parse(members.stdoutText) as { healthy: boolean; members: Array<Record<string, unknown>> };
  expect(listed.healthy).toBe(true);
  expect(listed.members.map((member) => member.id).sort()).toEqual(["n1", "n2", "n3"]);
  for (const member of listed.members) {
    const node = cluster.nodes.get(Number(String(member.id).slice(1)))!;
    expect(member).toMatchObject({
      membership: "voter", reachable: true, health: "ok", version: packageJson.version,
      clientAddress: node.clientAddress, peerAddress: node.peerAddress, adminAddress: node.adminAddress,
    });
    expect(member.role === "leader" || member.role === "follower").toBe(true);
    expect(typeof member.dataSizeBytes).toBe("number");
  }
  const table = await run(["cluster", "members", "--admin", admin]);
  const header = table.stdoutText.split("\n")[1];
  const columns = ["id", "membership", "role", "term", "applied", "client", "peer", "admin", "data", "version"];
  expect(header.split(/\s+/)).toEqual(columns);

  for (const action of ["remove-node", "transfer-leader"]) {
    const unknown = await run(["cluster", action, "n9", "--admin", admin]);
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderrText).toMatch(/^filestore: no member n9 \(admin endpoint 127\.0\.0\.1:\d+\)\n$/);
  }
}, 60_000);

test("a leader whose followers stopped answers 503 no quorum, stays live; status and members exit 6", async () => {
  cluster = await ProcessCluster.start({ nodes: 3 });
  const leader = await cluster.leader();
  const admin = cluster.nodes.get(leader)!.adminAddress;
  expect(await probe(admin, "/healthz")).toBe("200 ok\n");
  // status waits until every member's address is known: after it, the leader knows them all.
  expect((await run(["status", "--admin", admin])).exitCode).toBe(0);
  for (const id of [1, 2, 3]) if (id !== leader) await cluster.kill(id);

  let health = "";
  for (let poll = 0; poll < healthPollsMax && !health.startsWith("503"); poll++) {
    if (poll > 0) await Bun.sleep(healthPollIntervalMs);
    health = await probe(admin, "/healthz");
  }
  expect(health).toBe("503 unavailable: no quorum (heard from 1 of 3 voters)\n");
  expect(await probe(admin, "/readyz")).toBe(health);
  expect(await probe(admin, "/livez")).toBe("200 ok\n");

  const status = await run(["status", "--admin", admin, "--timeout-ms", "2000"]);
  expect(status.exitCode).toBe(6);
  expect(status.stderrText).toBe("");
  const noQuorum = "unavailable: no quorum (heard from 1 of 3 voters)";
  const problems = [1, 2, 3].map((id) => (id === leader ? `n${id} ${noQuorum}` : `n${id} unreachable`)).join(", ");
  expect(status.stdoutText.split("\n")[0]).toBe(`group unhealthy: ${problems}; 1 of 3 voters up, no leader`);
  expect(status.stdoutText).toMatch(/unreachable\s.*admin endpoint 127\.0\.0\.1:\d+: connection refused/);
  expect(status.stdoutText).not.toContain("Is the computer able");

  const members = await run(["cluster", "members", "--admin", admin, "--write-out", "json", "--timeout-ms", "2000"]);
  expect(members.exitCode).toBe(6);
  type Listed = { healthy: boolean; members: Array<{ id: string; reachable: boolean }> };
  const listed = JSON.parse(members.stdoutText) as Listed;
  expect(listed.healthy).toBe(false);
  expect(listed.members.filter((member) => member.reachable).map((member) => member.id)).toEqual([`n${leader}`]);
}, 60_000);

test("status of a single node shows its state; an admin endpoint that does not answer is said in words", async () => {
  const folder = makeTempDir("single-status");
  dataDir = folder;
  single = await startServe(sourceProgram, freshNodeArgs(folder.path));
  const admin = single.adminUrl.slice("http://".length);
  const status = await run(["status", "--admin", admin]);
  expect(status.exitCode).toBe(0);
  expect(status.stdoutText.split("\n")[0]).toBe("single node (not part of a replicated group): healthy");
  const json = JSON.parse((await run(["status", "--admin", admin, "--json"])).stdoutText) as Record<string, unknown>;
  expect(json).toMatchObject({ single: true, healthy: true, health: "ok", version: packageJson.version });

  const closedAdmin = `127.0.0.1:${findFreePort()}`;
  const refused = await run(["status", "--admin", closedAdmin]);
  expect(refused.exitCode).toBe(3);
  expect(refused.stderrText).toBe(`filestore: admin endpoint ${closedAdmin}: connection refused\n`);
}, 60_000);
