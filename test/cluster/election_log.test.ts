/**
 * The log lines of an election and a leader change, read from real node processes started with
 * `--log-format json`: the leader logs "became leader" with its term; after it is killed with
 * SIGKILL a survivor logs "became leader" with a newer term and the other survivor "leader
 * changed" naming it. Every stderr line of every node is a JSON log object; fdatasyncs of the
 * Raft log are reported with --slow-fsync-ms 0.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { parseJsonLogLines, waitForLogLine, type JsonLogLine } from "../util/json_log.ts";
import { ProcessCluster } from "./process_cluster.ts";

let cluster: ProcessCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

test("three nodes: the leader's election, then the new leader after SIGKILL, as JSON log lines", async () => {
  // --slow-fsync-ms 0 reports every fdatasync: here, of each replica's Raft log.
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--log-format", "json", "--slow-fsync-ms", "0"] });
  const first = await cluster.leader();
  const firstName = `n${first}`;
  const firstLines = cluster.nodes.get(first)!.logLines;
  const won = await waitForLogLine(firstLines, (event) => event.msg === "became leader", `${firstName} leading`);
  const firstTerm = won.term as number;
  expect(typeof firstTerm).toBe("number");
  expect(won).toMatchObject({ level: "info", node: firstName, term: firstTerm });
  for (const id of [1, 2, 3].filter((id) => id !== first)) {
    const lines = cluster.nodes.get(id)!.logLines;
    const isChange = (event: JsonLogLine) => event.msg === "leader changed" && event.leader === firstName;
    const changed = await waitForLogLine(lines, isChange, `n${id} hearing of it`);
    expect(changed).toMatchObject({ level: "info", node: `n${id}`, term: firstTerm });
  }
  const slowFsync = await waitForLogLine(firstLines, (event) => event.msg === "slow fsync", "a slow fsync line");
  const raftLog = join(cluster.directory, firstName, "raft", "log");
  expect(slowFsync).toMatchObject({ level: "warn", node: firstName, dir: raftLog });
  const startLine = parseJsonLogLines(firstLines)[0];
  expect(startLine).toMatchObject({ msg: "starting", node: firstName, node_id: firstName, log_format: "json" });

  await cluster.kill(first, "SIGKILL");
  const second = await cluster.leader();
  const secondName = `n${second}`;
  const secondLines = cluster.nodes.get(second)!.logLines;
  const secondWon = await waitForLogLine(secondLines, (event) => event.msg === "became leader", secondName);
  expect(secondWon.term as number).toBeGreaterThan(firstTerm);
  const other = [1, 2, 3].find((id) => id !== first && id !== second)!;
  const otherLines = cluster.nodes.get(other)!.logLines;
  const isChange = (event: JsonLogLine) => event.msg === "leader changed" && event.leader === secondName;
  const changed = await waitForLogLine(otherLines, isChange, "the change");
  expect(changed.term).toBe(secondWon.term);
  // The survivors saw their peer's connection go: one line each, however often they redialed it.
  const isLoss = (event: JsonLogLine) => event.msg === "peer connection lost; redialing" && event.peer === firstName;
  for (const lines of [secondLines, otherLines]) await waitForLogLine(lines, isLoss, "the lost peer");
  for (const lines of [secondLines, otherLines]) expect(parseJsonLogLines(lines).filter(isLoss)).toHaveLength(1);
});
