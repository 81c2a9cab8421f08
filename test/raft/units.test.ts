/** Small pieces: config validation, storage, config entries, quorums, inflights. */
import { describe, expect, test } from "bun:test";
import { defaultRaftConfig, makeRaftConfig } from "../../src/cluster/raft/config.ts";
import { decodeConfState, encodeConfState } from "../../src/cluster/raft/config_entry.ts";
import { CompactedError, RaftConfigError } from "../../src/cluster/raft/errors.ts";
import { Inflights } from "../../src/cluster/raft/progress.ts";
import { committedIndex, voteResult } from "../../src/cluster/raft/quorum.ts";
import { randomInteger, seededRandom } from "../../src/cluster/raft/random.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { Entry } from "../../src/cluster/raft/types.ts";

const entry = (index: number, term: number): Entry => ({ index, term, kind: "normal", data: new Uint8Array([index]) });

describe("config", () => {
  test("defaults are valid and keep the heartbeat well below the election timeout", () => {
    const config = makeRaftConfig(1);
    expect(config.heartbeatIntervalTicks).toBeLessThan(config.electionTimeoutTicks);
    expect(config.proposalBytesMax).toBeLessThanOrEqual(config.appendEntriesBytesMax);
    expect(defaultRaftConfig.preVote && defaultRaftConfig.checkQuorum).toBe(true);
  });

  test("a bad value is refused with the field's name", () => {
    expect(() => makeRaftConfig(0)).toThrow(RaftConfigError);
    expect(() => makeRaftConfig(1, { electionTimeoutTicks: 1 })).toThrow(/electionTimeoutTicks/);
    expect(() => makeRaftConfig(1, { heartbeatIntervalTicks: 10, electionTimeoutTicks: 10 })).toThrow(/heartbeatIntervalTicks/);
    expect(() => makeRaftConfig(1, { inflightAppendsMax: 1.5 })).toThrow(/inflightAppendsMax/);
    expect(() => makeRaftConfig(1, { proposalBytesMax: 2, appendEntriesBytesMax: 1 })).toThrow(/proposalBytesMax/);
  });
});

describe("MemoryStorage", () => {
  test("append replaces a conflicting tail; compaction keeps terms at the boundary", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2)]);
    expect(storage.lastIndex()).toBe(2);
    expect(storage.term(2)).toBe(2);
    storage.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array([9]));
    storage.compact(1);
    expect(storage.firstIndex()).toBe(2);
    expect(storage.term(1)).toBe(1);
    expect(() => storage.term(0)).toThrow(CompactedError);
    expect(() => storage.entries(1, 3, 1000)).toThrow(CompactedError);
    expect(storage.entries(2, 3, 1000)).toEqual([entry(2, 2)]);
  });

  test("entries are limited by bytes but never empty", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    expect(storage.entries(1, 4, 1)).toHaveLength(1);
    expect(storage.entries(1, 4, 1_000)).toHaveLength(3);
  });
});

/** Match indexes as the leader's progress map holds them. */
const progressOf = (match: Map<number, number>) => new Map([...match].map(([node, index]) => [node, { match: index }]));

describe("pieces", () => {
  test("config entries round-trip", () => {
    const conf = { voters: [1, 2, 4_000_000_000], learners: [7] };
    expect(decodeConfState(encodeConfState(conf))).toEqual(conf);
  });

  test("quorum commit index and votes", () => {
    const match = new Map([[1, 9], [2, 5], [3, 7]]);
    expect(committedIndex([1, 2, 3], progressOf(match))).toBe(7);
    expect(committedIndex([1, 2, 3, 4], progressOf(match))).toBe(5);
    expect(voteResult([1, 2, 3], new Map([[1, true], [2, true]]))).toBe("won");
    expect(voteResult([1, 2, 3], new Map([[1, true], [2, false], [3, false]]))).toBe("lost");
    expect(voteResult([1, 2, 3, 4], new Map([[1, true], [2, true]]))).toBe("pending");
  });

  test("inflights are bounded and freed in order", () => {
    const inflights = new Inflights(2);
    inflights.add(3);
    inflights.add(5);
    expect(inflights.full()).toBe(true);
    inflights.freeTo(4);
    expect(inflights.count()).toBe(1);
    inflights.freeTo(5);
    expect(inflights.count()).toBe(0);
  });

  test("the seeded generator replays and stays in range", () => {
    const first = seededRandom(7);
    const second = seededRandom(7);
    const values = Array.from({ length: 100 }, () => first());
    expect(values).toEqual(Array.from({ length: 100 }, () => second()));
    for (const value of values) expect(value >= 0 && value < 1).toBe(true);
    expect(randomInteger(seededRandom(1), 5, 6)).toBe(5);
  });
});

describe("config history", () => {
  test("keeps the configuration in force at the compaction point and everything after", async () => {
    const { ConfigHistory } = await import("../../src/cluster/raft/config_history.ts");
    const { encodeConfState } = await import("../../src/cluster/raft/config_entry.ts");
    const history = new ConfigHistory(0, { voters: [1], learners: [] });
    const config = (index: number, voters: number[]): Entry => ({ index, term: 1, kind: "config", data: encodeConfState({ voters, learners: [] }) });
    history.recordAppend([config(3, [1, 2]), config(6, [1, 2, 3])]);
    history.forgetBefore(4);
    expect(history.size()).toBe(2);
    expect(history.at(4)).toEqual({ voters: [1, 2], learners: [] });
    expect(history.current()).toEqual({ voters: [1, 2, 3], learners: [] });
    history.forgetBefore(10);
    expect(history.size()).toBe(1);
  });
});
