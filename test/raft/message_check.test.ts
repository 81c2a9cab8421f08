/** Malformed peer messages are refused with a typed error and leave the node unchanged. */
import { describe, expect, test } from "bun:test";
import { InvalidMessageError } from "../../src/cluster/raft/errors.ts";
import type { Message } from "../../src/cluster/raft/types.ts";
import { Harness, bytes } from "./harness.ts";

const entry = (index: number, term: number) => ({ index, term, kind: "normal" as const, data: bytes("x") });

const malformed: Array<[string, Message]> = [
  ["addressed elsewhere", { type: "timeoutNow", from: 1, to: 3, term: 1 }],
  ["from itself", { type: "timeoutNow", from: 2, to: 2, term: 1 }],
  ["negative term", { type: "heartbeat", from: 1, to: 2, term: -1, commit: 0, context: null, round: 0 }],
  ["entries with a gap", { type: "append", from: 1, to: 2, term: 1, prevIndex: 1, prevTerm: 1, entries: [entry(3, 1)], commit: 1 }],
  ["entry term past the message term", { type: "append", from: 1, to: 2, term: 1, prevIndex: 1, prevTerm: 1, entries: [entry(2, 5)], commit: 1 }],
  ["falling entry terms", { type: "append", from: 1, to: 2, term: 3, prevIndex: 1, prevTerm: 2, entries: [entry(2, 1)], commit: 1 }],
  [
    "snapshot chunk beyond its total",
    {
      type: "snapshot",
      from: 1,
      to: 2,
      term: 1,
      metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } },
      offset: 4,
      chunk: bytes("abcd"),
      done: true,
      totalBytes: 6,
    },
  ],
  ["unknown type", { type: "gossip", from: 1, to: 2, term: 1 } as unknown as Message],
];

describe("message checks", () => {
  for (const [name, message] of malformed) {
    test(`refuses a message ${name}`, () => {
      const cluster = new Harness([1, 2, 3]);
      cluster.elect(1);
      const before = cluster.node(2).status();
      expect(() => cluster.node(2).step(message)).toThrow(InvalidMessageError);
      expect(cluster.node(2).status()).toEqual(before);
      expect(cluster.node(2).hasReady()).toBe(false);
    });
  }
});
