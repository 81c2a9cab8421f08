/**
 * The log lines of an election and a leader change, read from real node processes started with
 * `--log-format json`: the leader logs "became leader" with its term; after it is killed with
 * SIGKILL a survivor logs "became leader" with a newer term and the other survivor "leader
 * changed" naming it. Every stderr line of every node is a JSON log object.
 */
import { afterAll, expect, test } from "bun:test";
import { parseJsonLogLines, waitForLogLine } from "../util/json_log.ts";
import { ProcessCluster } from "./process_cluster.ts";

let cluster: ProcessCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

test("three nodes: the leader's election, then the new leader after SIGKILL, as JSON log lines", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--log-format", "json"] });
  const first = await cluster.leader();
  const firstName = `n${first}`;
  const firstLines = cluster.nodes.get(first)!.logLines;
  const won = await waitForLogLine(firstLines, (event) => event.msg === "became leader", `${firstName} becoming leader`);
  const firstTerm = won.term as number;
  expect(typeof firstTerm).toBe("number");
  expect(won).toMatchObject({ level: "info", node: firstName, term: firstTerm });
  for (const id of [1, 2, 3].filter((id) => id !== first)) {
    const lines = cluster.nodes.get(id)!.logLines;
    const changed = await waitForLogLine(lines, (event) => event.msg === "leader changed" && event.leader === firstName, `n${id} hearing of it`);
    expect(changed).toMatchObject({ level: "info", node: `n${id}`, term: firstTerm });
  }
  const startLine = parseJsonLogLines(firstLines)[0];
  expect(startLine).toMatchObject({ msg: "starting", node: firstName, node_id: firstName, log_format: "json", fsync: "always" });

  await cluster.kill(first, "SIGKILL");
  const second = await cluster.leader();
  const secondName = `n${second}`;
  const secondLines = cluster.nodes.get(second)!.logLines;
  const secondWon = await waitForLogLine(secondLines, (event) => event.msg === "became leader", `${secondName} becoming leader`);
  expect(secondWon.term as number).toBeGreaterThan(firstTerm);
  const other = [1, 2, 3].find((id) => id !== first && id !== second)!;
  const otherLines = cluster.nodes.get(other)!.logLines;
  const changed = await waitForLogLine(otherLines, (event) => event.msg === "leader changed" && event.leader === secondName, "the change");
  expect(changed.term).toBe(secondWon.term);
  // The survivors saw their peer's connection go: one line each, however often they redialed it.
  for (const lines of [secondLines, otherLines]) {
    await waitForLogLine(lines, (event) => event.msg === "peer connection lost; redialing" && event.peer === firstName, "the lost peer");
  }
  for (const id of [second, other]) {
    const events = parseJsonLogLines(cluster.nodes.get(id)!.logLines);
    expect(events.filter((event) => event.msg === "peer connection lost; redialing" && event.peer === firstName)).toHaveLength(1);
  }
});
