/**
 * Codecs of the replicated service: node ids and peer lists, Raft entry payloads, and the
 * session table with its snapshot form.
 */
import { Encoder } from "@msgpack/msgpack";
import { describe, expect, test } from "bun:test";
import { decodeEntryPayload, encodeEntryPayload, type EntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import { formatNodeId, NodeIdError, parseNodeId, parsePeers } from "../../src/cluster/node_id.ts";
import { outcomeUnknown, SessionTable } from "../../src/cluster/session_table.ts";

const bytes = (value: string) => new TextEncoder().encode(value);

describe("node ids", () => {
  test("n<k> maps to k and back", () => {
    expect(parseNodeId("n1")).toBe(1);
    expect(parseNodeId("n42")).toBe(42);
    expect(formatNodeId(42)).toBe("n42");
  });

  test.each(["", "1", "n0", "n01", "n-", "-n1", "n1.5", "n99999999999"])("%p is refused with a typed error", (text) => {
    expect(() => parseNodeId(text)).toThrow(NodeIdError);
  });

  test("peers parse into addresses by id; duplicates and bad addresses are refused", () => {
    expect(parsePeers("n1=127.0.0.1:7500, n2=127.0.0.1:7501")).toEqual(
      new Map([[1, { host: "127.0.0.1", port: 7500 }], [2, { host: "127.0.0.1", port: 7501 }]]),
    );
    expect(() => parsePeers("n1=127.0.0.1:7500,n1=127.0.0.1:7501")).toThrow(NodeIdError);
    expect(() => parsePeers("n1=nowhere")).toThrow(NodeIdError);
    expect(() => parsePeers("127.0.0.1:7500")).toThrow(NodeIdError);
  });
});

describe("entry payloads", () => {
  const payloads: EntryPayload[] = [
    { kind: "write", identity: null, command: { op: "put", key: bytes("k"), value: bytes("v") } },
    { kind: "write", identity: { sessionId: bytes("s"), sequence: 9, oldestPendingSequence: 7 }, command: { op: "delete", key: bytes("k") } },
    { kind: "write", identity: null, command: { op: "cas", key: bytes("k"), expected: null, value: bytes("v") } },
    {
      kind: "write",
      identity: null,
      command: { op: "batch", commands: [{ op: "put", key: bytes("a"), value: bytes("1") }, { op: "cas", key: bytes("b"), expected: bytes("x"), value: bytes("y") }] },
    },
    {
      kind: "member",
      node: 3,
      addresses: { clientAddress: "127.0.0.1:7400", adminAddress: "127.0.0.1:7401", peerAddress: "127.0.0.1:7500" },
      name: "n3",
    },
  ];
  test.each(payloads.map((payload) => [payload.kind, payload] as const))("%s round-trips", (_kind, payload) => {
    expect(decodeEntryPayload(encodeEntryPayload(payload))).toEqual(payload);
  });
  test("a write entry of the earlier four-field form decodes with no oldest pending sequence", () => {
    const earlier = new Encoder().encode([1, bytes("s"), 9, ["d", bytes("k")]]);
    expect(decodeEntryPayload(earlier)).toEqual({
      kind: "write", identity: { sessionId: bytes("s"), sequence: 9, oldestPendingSequence: 0 }, command: { op: "delete", key: bytes("k") },
    });
  });
});

describe("session table", () => {
  test("remembers outcomes per session, forgets the oldest past its bounds, and round-trips through a snapshot", () => {
    const table = new SessionTable({ sessionsMax: 2, outcomesPerSessionMax: 2 });
    table.remember(bytes("a"), 1, { op: "put", version: 1 });
    table.remember(bytes("a"), 2, { op: "put", version: 2 });
    table.remember(bytes("a"), 3, outcomeUnknown);
    expect(table.lookup(bytes("a"), 1)).toEqual({ kind: "forgotten" });
    expect(table.lookup(bytes("a"), 2)).toEqual({ kind: "applied", outcome: { op: "put", version: 2 } });
    expect(table.lookup(bytes("a"), 3)).toEqual({ kind: "applied", outcome: outcomeUnknown });
    expect(table.lookup(bytes("a"), 4)).toEqual({ kind: "new" });
    table.remember(bytes("b"), 1, { op: "put", version: 4 });
    table.remember(bytes("c"), 1, { op: "put", version: 5 });
    expect(table.lookup(bytes("a"), 2)).toEqual({ kind: "new" });
    expect(table.sessionCount).toBe(2);
    const copy = SessionTable.decode(table.encode(), { sessionsMax: 2, outcomesPerSessionMax: 2 });
    expect(copy.lookup(bytes("b"), 1)).toEqual(table.lookup(bytes("b"), 1));
    expect(copy.lookup(bytes("c"), 1)).toEqual(table.lookup(bytes("c"), 1));
  });

  test("forgets outcomes below the client's oldest pending write, in the snapshot too", () => {
    const table = new SessionTable({ sessionsMax: 10, outcomesPerSessionMax: 100 });
    // A client with two writes in flight: write s says it still waits for s - 1.
    for (let sequence = 1; sequence <= 50; sequence++) {
      table.forgetBelow(bytes("a"), Math.max(1, sequence - 1));
      table.remember(bytes("a"), sequence, { op: "put", version: sequence });
    }
    expect(table.outcomeCount).toBe(2);
    expect(table.lookup(bytes("a"), 48)).toEqual({ kind: "forgotten" });
    expect(table.lookup(bytes("a"), 49)).toEqual({ kind: "applied", outcome: { op: "put", version: 49 } });
    // A late outcome below the watermark is not kept; an older watermark changes nothing.
    table.remember(bytes("a"), 10, outcomeUnknown);
    table.forgetBelow(bytes("a"), 5);
    expect(table.lookup(bytes("a"), 10)).toEqual({ kind: "forgotten" });
    expect(table.outcomeCount).toBe(2);
    const copy = SessionTable.decode(table.encode(), { sessionsMax: 10, outcomesPerSessionMax: 100 });
    expect(copy.lookup(bytes("a"), 48)).toEqual({ kind: "forgotten" });
    expect(copy.lookup(bytes("a"), 50)).toEqual({ kind: "applied", outcome: { op: "put", version: 50 } });
    expect(copy.lookup(bytes("a"), 51)).toEqual({ kind: "new" });
  });
});
