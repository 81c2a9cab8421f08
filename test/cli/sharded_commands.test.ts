/**
 * `filestore cluster shards|nodes|locate` run as the real program against real admin servers with
 * fake sharded sources (test/admin/sharded_fixture.ts): tables and JSON (the admin endpoint's JSON
 * as it is), exit 6 for a shard with no leader or a node that did not answer, locate computed with
 * the placement rules and agreeing with the node's own /cluster/locate, and exit codes for bad
 * arguments (2), a node that refuses (4) and one that cannot answer (3).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import { CoordinatorMachine } from "../../src/cluster/meta/coordinator_machine.ts";
import { reportOf } from "../cluster/meta/overview_fixtures.ts";
import { ShardedFixture } from "../admin/sharded_fixture.ts";
import { runCommand, sourceProgram } from "./process_harness.ts";

let fixture: ShardedFixture | undefined;
let plain: AdminServer | undefined;
afterEach(async () => {
  await fixture?.close();
  await plain?.close();
  fixture = undefined;
  plain = undefined;
});

const run = (args: string[]) => runCommand(sourceProgram, args);

async function adminJson(admin: string, path: string): Promise<unknown> {
  return (await fetch(`http://${admin}${path}`)).json();
}

/** Three nodes, two shards; n1 leads shard 1 with figures, n2 leads shard 2. */
async function twoShards(): Promise<ShardedFixture> {
  const started = await ShardedFixture.start({ nodes: 3, shards: 2 });
  const { machine, reports } = started;
  reports.set(1, reportOf(machine, 1, { 1: { isLeader: true, term: 2, appliedIndex: 9, keys: 3, bytes: 2048 } }));
  const leadsTwo = { isLeader: true, term: 1, appliedIndex: 4 };
  reports.set(2, reportOf(machine, 2, { 1: { term: 2, appliedIndex: 9 }, 2: leadsTwo }));
  return started;
}

describe("cluster shards", () => {
  test("a table with a summary; --json is the admin endpoint's JSON; exit 6 once a shard has no leader", async () => {
    fixture = await twoShards();
    const text = await run(["cluster", "shards", "--admin", fixture.admin(3)]);
    expect(text.stderrText).toBe("");
    expect(text.exitCode).toBe(0);
    expect(text.stdoutText.split("\n")).toEqual([
      "2 shards (map version 1): every shard has a leader",
      "shard  range                               epoch  leader  replicas  applied  keys  bytes    move",
      "1      0000000000000000-8000000000000000   1      n1      n1,n2,n3  9        3     2.0 KiB  -",
      "2      8000000000000000-10000000000000000  1      n2      n1,n2,n3  4        0     0 B      -",
      "",
    ]);
    const json = await run(["cluster", "shards", "--json", "--admin", fixture.admin(3)]);
    expect(json.exitCode).toBe(0);
    const rows = JSON.parse(json.stdoutText);
    expect(rows).toEqual(await adminJson(fixture.admin(3), "/cluster/shards"));
    expect(rows[0]).toEqual({
      id: 1, range: ["0000000000000000", "8000000000000000"], epoch: 1, leader: "n1",
      replicas: [
        { node: "n1", role: "voter", replica: 1, appliedIndex: 9 },
        { node: "n2", role: "voter", replica: 2, appliedIndex: 9 },
        { node: "n3", role: "voter", replica: 3, appliedIndex: null },
      ],
      keys: 3, bytes: 2048, appliedIndex: 9, statsFrom: "n1", moving: null,
    });
    const writeOut = await run(["cluster", "shards", "-w", "json", "--admin", fixture.admin(3)]);
    expect(writeOut.stdoutText).toBe(json.stdoutText);

    fixture.reports.set(2, reportOf(fixture.machine, 2, { 2: { term: 1 } }));
    const leaderless = await run(["cluster", "shards", "--admin", fixture.admin(1)]);
    expect(leaderless.exitCode).toBe(6);
    expect(leaderless.stdoutText.split("\n")[0]).toBe("2 shards (map version 1): no leader known for shard 2");
  });
});

describe("cluster nodes", () => {
  test("a table; exit 6 naming a node that did not answer; --json field by field", async () => {
    fixture = await twoShards();
    const answered = await run(["cluster", "nodes", "--admin", fixture.admin(2)]);
    expect(answered.exitCode).toBe(0);
    const lines = answered.stdoutText.trimEnd().split("\n");
    expect(lines[0]).toBe("3 nodes: every node answered");
    expect(lines[1]).toMatch(/^node\s+state\s+client\s+peer\s+admin\s+replicas\s+leaders$/);
    const cells = lines[2]!.split(/\s+/);
    expect(cells).toEqual(["n1", "up", "127.0.0.1:7000", "127.0.0.1:7100", fixture.admin(1), "2", "1"]);
    expect(lines).toHaveLength(5);

    await fixture.stop(3);
    const json = await run(["cluster", "nodes", "--json", "--admin", fixture.admin(2)]);
    expect(json.exitCode).toBe(6);
    expect(JSON.parse(json.stdoutText)[2]).toEqual({
      id: "n3", client: "127.0.0.3:7000", peer: "127.0.0.3:7100", admin: fixture.admin(3), state: "unreachable",
      replicas: 2, leaders: 0, coordinatorState: "up", reachable: false,
      problem: `admin endpoint ${fixture.admin(3)}: connection refused`,
    });
    const table = await run(["cluster", "nodes", "--admin", fixture.admin(2)]);
    expect(table.exitCode).toBe(6);
    const why = `3 nodes: n3 unreachable (admin endpoint ${fixture.admin(3)}: connection refused)`;
    expect(table.stdoutText.split("\n")[0]).toBe(why);
  });
});

describe("cluster locate", () => {
  test("partition key, hash, shard, replicas and leader, computed here and as the node finds them", async () => {
    fixture = await twoShards();
    const key = "orders/u123/2026-12-07/o9";
    const json = await run(["cluster", "locate", key, "--json", "--admin", fixture.admin(3)]);
    expect(json.stderrText).toBe("");
    expect(json.exitCode).toBe(0);
    const expected = {
      partition: "orders/u123",
      hash: "09af411bd685f46d",
      shard: 1,
      replicas: [{ node: "n1", role: "voter" }, { node: "n2", role: "voter" }, { node: "n3", role: "voter" }],
      leader: "n1",
      range: ["0000000000000000", "8000000000000000"],
      epoch: 1,
    };
    expect(JSON.parse(json.stdoutText)).toEqual(expected);
    expect(await adminJson(fixture.admin(3), `/cluster/locate?key=${encodeURIComponent(key)}`)).toEqual(expected);

    const hex = Buffer.from(key).toString("hex");
    const byHex = await run(["cluster", "locate", hex, "--hex", "--json", "--admin", fixture.admin(1)]);
    expect(byHex.stdoutText).toBe(json.stdoutText);
    const text = await run(["cluster", "locate", key, "--admin", fixture.admin(2)]);
    expect(text.stdoutText).toBe([
      `key        ${key}`,
      "partition  orders/u123",
      "hash       09af411bd685f46d",
      "shard      1",
      "range      0000000000000000-8000000000000000",
      "epoch      1",
      "leader     n1",
      "replicas   n1 (voter), n2 (voter), n3 (voter)",
      "",
    ].join("\n"));
  });
});

describe("what goes wrong", () => {
  test("bad arguments exit 2 before anything is sent", async () => {
    const admin = ["--admin", "127.0.0.1:1"];
    const cases = [
      ["cluster", "shards", "extra", ...admin],
      ["cluster", "locate", ...admin],
      ["cluster", "locate", "abc", "--hex", ...admin],
      ["cluster", "members", "--hex", ...admin],
    ];
    for (const args of cases) {
      const result = await run(args);
      expect([args.join(" "), result.exitCode, result.stdoutText]).toEqual([args.join(" "), 2, ""]);
    }
  });

  test("a node that is not sharded refuses (exit 4); one with no coordinator copy cannot answer yet (3)", async () => {
    plain = startAdminServer({
      host: "127.0.0.1", port: 0, metrics: new ServerMetrics(), engineStats: () => null, isServing: () => true,
    });
    const admin = `127.0.0.1:${plain.port}`;
    const refused = await run(["cluster", "shards", "--admin", admin]);
    expect(refused.exitCode).toBe(4);
    const why = `filestore: this node is not part of a sharded cluster (admin endpoint ${admin})\n`;
    expect(refused.stderrText).toBe(why);

    fixture = await ShardedFixture.start({ nodes: 1, shards: 1 });
    fixture.machine = new CoordinatorMachine();
    const early = await run(["cluster", "locate", "k", "--admin", fixture.admin(1)]);
    expect(early.exitCode).toBe(3);
    expect(early.stderrText).toContain("knows of no cluster bootstrapped yet");

    await fixture.stop(1);
    const gone = await run(["cluster", "nodes", "--admin", fixture.admin(1)]);
    expect(gone.exitCode).toBe(3);
    expect(gone.stderrText).toBe(`filestore: admin endpoint ${fixture.admin(1)}: connection refused\n`);
  });
});
