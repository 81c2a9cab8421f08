/**
 * The sharded cluster's admin routes on real admin servers (127.0.0.1, port 0) with fake
 * ShardedClusterSources (sharded_fixture.ts): any node answers /cluster/shards and /cluster/nodes
 * with every node's report gathered over HTTP; a stopped, hung or broken node is shown
 * unreachable with why while the others' figures stand in; /cluster/locate agrees with the
 * placement rules; bad keys, methods and nodes that are not sharded get typed answers.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { localReportFromJson, LocalReportError } from "../../src/admin/local_report_json.ts";
import { localReportTimeoutMs } from "../../src/admin/report_gather.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import { mapVersionHeader } from "../../src/admin/cluster_view_routes.ts";
import { CoordinatorMachine } from "../../src/cluster/meta/coordinator_machine.ts";
import { locate } from "../../src/cluster/placement/locate.ts";
import { formatHash } from "../../src/cluster/placement/partition_hash.ts";
import { reportOf } from "../cluster/meta/overview_fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { ShardedFixture } from "./sharded_fixture.ts";

let fixture: ShardedFixture | undefined;
let plain: AdminServer | undefined;
afterEach(async () => {
  await fixture?.close();
  await plain?.close();
  fixture = undefined;
  plain = undefined;
});

async function getJson(admin: string, path: string): Promise<{ status: number; body: any; version: string | null }> {
  const response = await fetch(`http://${admin}${path}`);
  return { status: response.status, body: await response.json(), version: response.headers.get(mapVersionHeader) };
}

describe("shards and nodes from any node", () => {
  test("node 2 shows node 1's figures and leadership, gathered over HTTP; node 3 stopped is unreachable", async () => {
    fixture = await ShardedFixture.start({ nodes: 3, shards: 2 });
    const { machine, reports } = fixture;
    const leads = { isLeader: true, term: 3, appliedIndex: 20, commitIndex: 20, keys: 7, bytes: 700 };
    reports.set(1, reportOf(machine, 1, { 1: leads }));
    const leadsTwo = { isLeader: true, term: 2, appliedIndex: 4, keys: 1, bytes: 9 };
    reports.set(2, reportOf(machine, 2, { 1: { term: 3, appliedIndex: 19 }, 2: leadsTwo }));
    await fixture.stop(3);

    const shards = await getJson(fixture.admin(2), "/cluster/shards");
    expect(shards.status).toBe(200);
    expect(shards.version).toBe("1");
    const voter = (node: string, replica: number, appliedIndex: number | null) => ({
      node, role: "voter", replica, appliedIndex,
    });
    expect(shards.body).toEqual([
      {
        id: 1, range: ["0000000000000000", "8000000000000000"], epoch: 1, leader: "n1",
        replicas: [voter("n1", 1, 20), voter("n2", 2, 19), voter("n3", 3, null)],
        keys: 7, bytes: 700, appliedIndex: 20, statsFrom: "n1", moving: null,
      },
      {
        id: 2, range: ["8000000000000000", "10000000000000000"], epoch: 1, leader: "n2",
        replicas: [voter("n1", 4, null), voter("n2", 5, 4), voter("n3", 6, null)],
        keys: 1, bytes: 9, appliedIndex: 4, statsFrom: "n2", moving: null,
      },
    ]);

    const nodes = await getJson(fixture.admin(1), "/cluster/nodes");
    expect(nodes.status).toBe(200);
    const row = (id: number) => ({
      id: `n${id}`, client: `127.0.0.${id}:7000`, peer: `127.0.0.${id}:7100`, admin: fixture!.admin(id),
    });
    expect(nodes.body).toEqual([
      { ...row(1), state: "up", replicas: 2, leaders: 1, coordinatorState: "up", reachable: true, problem: null },
      { ...row(2), state: "up", replicas: 2, leaders: 1, coordinatorState: "up", reachable: true, problem: null },
      {
        ...row(3), state: "unreachable", replicas: 2, leaders: 0, coordinatorState: "up", reachable: false,
        problem: `admin endpoint ${fixture.admin(3)}: connection refused`,
      },
    ]);
  });
});

describe("nodes that do not answer, and a node's own report", () => {

  test("a hung node costs the view its timeout, not the view itself; a broken one is named with why", async () => {
    // Nodes 3 to 6: hung, answering for another node, not JSON, too long.
    fixture = await ShardedFixture.start({
      nodes: 6,
      shards: 1,
      modes: {
        3: "hung",
        4: { answer: '{"node": 1, "replicas": []}' },
        5: { answer: "<html>" },
        6: { answer: " ".repeat(3 << 20) },
      },
    });
    const nodes = await getJson(fixture.admin(1), "/cluster/nodes");
    const problems = nodes.body.map((node: { id: string; problem: string | null }) => [node.id, node.problem]);
    expect(problems).toEqual([
      ["n1", null],
      ["n2", null],
      ["n3", `admin endpoint ${fixture.admin(3)}: no answer within ${localReportTimeoutMs} ms`],
      ["n4", `admin endpoint ${fixture.admin(4)}: answers for node 1`],
      ["n5", expect.stringMatching(new RegExp(`^admin endpoint ${fixture.admin(5)}: .*JSON`))],
      ["n6", `admin endpoint ${fixture.admin(6)}: a report over ${2 << 20} bytes`],
    ]);
  });

  test("a node's own report: GET /cluster/local-replicas, as the others read it", async () => {
    fixture = await ShardedFixture.start({ nodes: 3, shards: 2 });
    const figures = { isLeader: true, term: 4, appliedIndex: 5, commitIndex: 6, keys: 2, bytes: 3 };
    const report = reportOf(fixture.machine, 2, { 1: figures });
    fixture.reports.set(2, report);
    const { status, body } = await getJson(fixture.admin(2), "/cluster/local-replicas");
    expect(status).toBe(200);
    expect(body).toEqual({
      node: 2,
      name: "n2",
      replicas: [{ shard: 1, replica: 2, node: 2, role: "voter", ...figures }],
    });
    expect(localReportFromJson(body)).toEqual(report);
  });
});

test("a node gathers at most 8 views at once; past that it says so, and takes more once they end", async () => {
  fixture = await ShardedFixture.start({ nodes: 2, shards: 1, modes: { 2: "hung" } });
  const views = Array.from({ length: 8 }, () => getJson(fixture!.admin(1), "/cluster/nodes"));
  await waitFor(() => fixture!.hungAsked === 8, "eight views waiting on the hung node");
  const ninth = await getJson(fixture.admin(1), "/cluster/shards");
  const busy = "8 cluster views are being gathered here; try again shortly or ask another node";
  expect([ninth.status, ninth.body.error]).toEqual([503, busy]);
  fixture.hung.open();
  expect((await Promise.all(views)).map((view) => view.status)).toEqual(Array(8).fill(200));
  expect((await getJson(fixture.admin(1), "/cluster/shards")).status).toBe(200);
});

describe("locate", () => {
  test("the partition key, hash and shard as the placement rules give them, by text or hex", async () => {
    fixture = await ShardedFixture.start({ nodes: 3, shards: 4 });
    fixture.reports.set(2, reportOf(fixture.machine, 2, { 1: { isLeader: true, term: 1 } }));
    const key = new TextEncoder().encode("orders/u123/2026-12-07/o9");
    const expected = locate(key, fixture.machine.shardMap()!);
    expect(expected.shard.id).toBe(1);
    const query = `key=${encodeURIComponent("orders/u123/2026-12-07/o9")}`;
    const byText = await getJson(fixture.admin(1), `/cluster/locate?${query}`);
    expect(byText.status).toBe(200);
    expect(byText.version).toBe("1");
    expect(byText.body).toEqual({
      partition: "orders/u123",
      hash: "09af411bd685f46d",
      shard: expected.shard.id,
      replicas: [{ node: "n1", role: "voter" }, { node: "n2", role: "voter" }, { node: "n3", role: "voter" }],
      leader: "n2",
      range: [formatHash(expected.shard.range.start), formatHash(expected.shard.range.end)],
      epoch: 1,
    });
    const byHex = await getJson(fixture.admin(1), `/cluster/locate?key-hex=${Buffer.from(key).toString("hex")}`);
    expect(byHex.body).toEqual(byText.body);
  });

  test("a key that is missing, given twice, not hex or too long is refused with 400", async () => {
    fixture = await ShardedFixture.start({ nodes: 1, shards: 1 });
    const problems = ["", "?key=a&key-hex=61", "?key-hex=6", "?key-hex=zz", "?key=", `?key=${"k".repeat(4097)}`];
    for (const query of problems) {
      const answer = await getJson(fixture.admin(1), `/cluster/locate${query}`);
      expect([query, answer.status, typeof answer.body.error]).toEqual([query, 400, "string"]);
    }
  });
});

describe("what is not a view", () => {
  test("a node that is not sharded answers 404; other methods 405", async () => {
    plain = startAdminServer({
      host: "127.0.0.1", port: 0, metrics: new ServerMetrics(), engineStats: () => null, isServing: () => true,
    });
    const admin = `127.0.0.1:${plain.port}`;
    for (const path of ["/cluster/shards", "/cluster/nodes", "/cluster/locate?key=a", "/cluster/local-replicas"]) {
      const answer = await getJson(admin, path);
      const refusal = { error: "this node is not part of a sharded cluster" };
      expect([path, answer.status, answer.body]).toEqual([path, 404, refusal]);
    }
    const post = await fetch(`http://${admin}/cluster/shards`, { method: "POST" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    // The single group's routes are as before.
    expect((await getJson(admin, "/cluster/status")).body.kind).toBe("single");
  });

  test("a node still starting, or whose coordinator copy is not bootstrapped: 503 saying so", async () => {
    fixture = await ShardedFixture.start({ nodes: 1, shards: 1 });
    fixture.machine = new CoordinatorMachine();
    const notBootstrapped = await getJson(fixture.admin(1), "/cluster/shards");
    expect(notBootstrapped.status).toBe(503);
    expect(notBootstrapped.body.error).toContain("knows of no cluster bootstrapped yet");
    const own = await getJson(fixture.admin(1), "/cluster/local-replicas");
    expect(own.body).toEqual({ node: 1, name: "n1", replicas: [] });
    fixture.starting = true;
    for (const path of ["/cluster/nodes", "/cluster/local-replicas"]) {
      const starting = await getJson(fixture.admin(1), path);
      expect([path, starting.status, starting.body.error]).toEqual([
        path, 503, "this node is starting; try again shortly or ask another node",
      ]);
    }
  });
});

describe("reports from other nodes are checked", () => {
  const figures = { isLeader: false, term: 1, appliedIndex: 0, commitIndex: 0, keys: 0, bytes: 0 };
  const replicaJson = { shard: 1, replica: 2, node: 2, role: "voter" as const, ...figures };
  const good = { node: 2, name: "n2", replicas: [replicaJson] };
  const replica = good.replicas[0]!;
  const broken: Array<[string, unknown]> = [
    ["not an object", 7],
    ["node not an id", { ...good, node: 0 }],
    ["replicas not an array", { ...good, replicas: {} }],
    ["a replica of another node", { ...good, replicas: [{ ...replica, node: 3 }] }],
    ["a shard twice", { ...good, replicas: [replica, replica] }],
    ["an unknown role", { ...good, replicas: [{ ...replica, role: "leader" }] }],
    ["isLeader not boolean", { ...good, replicas: [{ ...replica, isLeader: 1 }] }],
    ["a negative figure", { ...good, replicas: [{ ...replica, keys: -1 }] }],
    ["a fractional figure", { ...good, replicas: [{ ...replica, appliedIndex: 1.5 }] }],
    ["a replica id of 0", { ...good, replicas: [{ ...replica, replica: 0 }] }],
  ];
  test.each(broken)("refused whole: %s", (_, value) => {
    expect(() => localReportFromJson(value)).toThrow(LocalReportError);
  });
  test("a good one is read as it was sent", () => {
    expect(localReportFromJson(good)).toEqual({ node: 2, replicas: [replica] });
  });
});
