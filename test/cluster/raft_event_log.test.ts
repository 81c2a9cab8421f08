/** RaftEventLog: the lines made from the differences between what the driver shows it, step by step. */
import { expect, test } from "bun:test";
import { RaftEventLog } from "../../src/cluster/replica/raft_event_log.ts";
import { CollectingLogger } from "../util/collecting_logger.ts";

function lines(logger: CollectingLogger): Array<[string, string, Record<string, unknown>]> {
  return logger.lines.map((line) => [line.level, line.message, line.fields]);
}

test("a follower's view: pre-vote, election, loss, a leader elsewhere, that leader gone", () => {
  const logger = new CollectingLogger();
  const events = new RaftEventLog(logger, 1, 4);
  events.observe({ role: "follower", leader: 2 }, 4);
  events.observe({ role: "preCandidate", leader: 0 }, 4);
  events.observe({ role: "candidate", leader: 0 }, 5);
  events.observe({ role: "follower", leader: 3 }, 5);
  events.observe({ role: "follower", leader: 3 }, 5);
  expect(lines(logger)).toEqual([
    ["info", "leader changed", { term: 4, leader: "n2" }],
    ["debug", "pre-vote started", { term: 4 }],
    ["info", "leader unknown", { term: 4, previous: "n2" }],
    ["debug", "term changed", { term: 5, previous: 4 }],
    ["info", "election started", { term: 5 }],
    ["info", "election lost", { term: 5, leader: "n3" }],
    ["info", "leader changed", { term: 5, leader: "n3" }],
  ]);
});

test("a leader's view: won, then stepped down for a newer leader", () => {
  const logger = new CollectingLogger();
  const events = new RaftEventLog(logger, 1, 7);
  events.observe({ role: "candidate", leader: 0 }, 7);
  events.observe({ role: "leader", leader: 1 }, 7);
  events.observe({ role: "follower", leader: 2 }, 8);
  expect(lines(logger).filter(([level]) => level === "info")).toEqual([
    ["info", "election started", { term: 7 }],
    ["info", "became leader", { term: 7 }],
    ["info", "stepped down", { term: 8, leader: "n2" }],
    ["info", "leader changed", { term: 8, leader: "n2" }],
  ]);
});

test("membership: the first picture in one line, then each change", () => {
  const logger = new CollectingLogger();
  const events = new RaftEventLog(logger, 1, 2);
  events.membership({ voters: [3, 1, 2], learners: [] });
  events.membership({ voters: [1, 2, 3], learners: [] });
  events.membership({ voters: [1, 2, 3], learners: [5] });
  events.membership({ voters: [1, 2, 3, 5], learners: [] });
  events.membership({ voters: [1, 3, 5], learners: [] });
  expect(lines(logger)).toEqual([
    ["info", "membership", { term: 2, voters: "n1,n2,n3", learners: "" }],
    ["info", "member added as learner", { term: 2, member: "n5" }],
    ["info", "member promoted to voter", { term: 2, member: "n5" }],
    ["info", "member removed", { term: 2, member: "n2" }],
  ]);
});
