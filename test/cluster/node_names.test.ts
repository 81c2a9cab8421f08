/**
 * Readable node names (src/cluster/node_id.ts): `n<k>` keeps its number, other names map to a
 * stable id of their own range and print back as written; bad names and two names with the
 * same id are refused with a clear error; member entries and snapshots carry names (and old
 * ones without names still decode).
 */
import { Encoder } from "@msgpack/msgpack";
import { describe, expect, test } from "bun:test";
import { decodeEntryPayload, encodeEntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import { formatNodeId, NodeIdError, parseNodeId, parsePeers } from "../../src/cluster/node_id.ts";
import { KeyValueMachine } from "../../src/cluster/key_value_machine.ts";
import { memberTuples, restoreMembers } from "../../src/cluster/key_value_snapshot.ts";
import type { Engine } from "../../src/engine/engine.ts";

/** Two names whose 31-bit hashes are equal (found by search; the test checks they still are). */
const collidingNames = ["node-qrh", "node-1he5"] as const;

function errorOf(text: string): string {
  try {
    parseNodeId(text);
  } catch (error) {
    expect(error).toBeInstanceOf(NodeIdError);
    return (error as Error).message;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe("names", () => {
  test("n<k> is the number k, as before names existed", () => {
    expect([parseNodeId("n1"), parseNodeId("n3"), parseNodeId("n4294967295")]).toEqual([1, 3, 4294967295]);
    expect(formatNodeId(3)).toBe("n3");
  });

  test("a readable name maps to an id from 2^31 up, the same every time, and prints as written", () => {
    const id = parseNodeId("db-a");
    expect(id).toBeGreaterThanOrEqual(2 ** 31);
    expect(id).toBeLessThanOrEqual(0xffffffff);
    expect(id).toBe((Bun.hash.xxHash32("db-a") | 0x80000000) >>> 0);
    expect(parseNodeId("db-a")).toBe(id);
    expect(formatNodeId(id)).toBe("db-a");
    expect(parseNodeId(`n${id}`)).toBe(id);
    expect(parseNodeId("db-b")).not.toBe(id);
  });

  test("case does not matter; names print in lower case", () => {
    const id = parseNodeId("Store-East-1");
    expect(parseNodeId("store-east-1")).toBe(id);
    expect(formatNodeId(id)).toBe("store-east-1");
    expect(parseNodeId("N2")).toBe(2);
  });

  test("a name of up to 63 characters", () => {
    const longest = `a${"b".repeat(62)}`;
    expect(formatNodeId(parseNodeId(longest))).toBe(longest);
    expect(errorOf(`${longest}c`)).toBe(`node name "${longest}c" is longer than 63 characters`);
  });

  test("bad names are refused, saying what a name may hold", () => {
    const rule = 'must be letters, digits and "-", starting with a letter and not ending with "-" (e.g. db-a or n1)';
    for (const bad of ["db_a", "db.a", "1db", "-db", "db-", "db a", "dé"]) {
      expect(errorOf(bad)).toBe(`node name "${bad}" ${rule}`);
    }
    expect(errorOf("")).toContain("node name is empty");
    expect(errorOf("n01")).toBe(
      'node id "n01": n followed by a number means that number; write n1 to n4294967295, no leading zero',
    );
    expect(errorOf("n0")).toContain("write n1 to n4294967295");
    expect(errorOf("n4294967296")).toContain("write n1 to n4294967295");
  });

  test("two names with the same id: the second is refused, naming both", () => {
    const [first, second] = collidingNames;
    expect((Bun.hash.xxHash32(first) | 0x80000000) >>> 0).toBe((Bun.hash.xxHash32(second) | 0x80000000) >>> 0);
    const id = parseNodeId(first);
    const message = `node names "${first}" and "${second}" map to the same internal id ${id}; rename one of them`;
    expect(errorOf(second)).toBe(message);
    expect(formatNodeId(id)).toBe(first);
  });

  test("peers may be named", () => {
    const peers = parsePeers("db-a=127.0.0.1:7500,db-b=127.0.0.1:7501,n3=127.0.0.1:7502");
    expect([...peers.keys()].map(formatNodeId)).toEqual(["db-a", "db-b", "n3"]);
    expect(() => parsePeers("db-a=127.0.0.1:7500,DB-A=127.0.0.1:7501")).toThrow("peer db-a is listed twice");
  });
});

describe("member entries carry the name", () => {
  const addresses = { clientAddress: "127.0.0.1:7400", adminAddress: "127.0.0.1:7401", peerAddress: "127.0.0.1:7500" };

  test("a new entry holds formatNodeId's name", () => {
    const node = parseNodeId("db-joined-later");
    const entry = encodeEntryPayload({ kind: "member", node, addresses });
    expect(decodeEntryPayload(entry)).toEqual({ kind: "member", node, addresses, name: "db-joined-later" });
  });

  test("an entry written before names (five fields) still decodes, without a name", () => {
    const { clientAddress, adminAddress, peerAddress } = addresses;
    const earlier = new Encoder().encode([2, 3, clientAddress, adminAddress, peerAddress]);
    expect(decodeEntryPayload(earlier)).toEqual({ kind: "member", node: 3, addresses });
  });
});

describe("snapshots carry member names", () => {
  const addresses = { clientAddress: "127.0.0.1:7400", adminAddress: "127.0.0.1:7401", peerAddress: "127.0.0.1:7500" };

  test("a member this process never parsed is printed by name once a snapshot names it", () => {
    const name = "db-from-snapshot";
    const id = (Bun.hash.xxHash32(name) | 0x80000000) >>> 0;
    expect(formatNodeId(id)).toBe(`n${id}`);
    const members = new Map<number, typeof addresses>();
    restoreMembers(members, [[id, addresses.clientAddress, addresses.adminAddress, addresses.peerAddress, name]]);
    expect(members.get(id)).toEqual(addresses);
    expect(formatNodeId(id)).toBe(name);
    const { clientAddress, adminAddress, peerAddress } = addresses;
    expect(memberTuples(members)).toEqual([[id, clientAddress, adminAddress, peerAddress, name]]);
  });

  test("member tuples of snapshots taken before names (four fields) still restore", () => {
    const members = new Map<number, typeof addresses>();
    restoreMembers(members, [[2, addresses.clientAddress, addresses.adminAddress, addresses.peerAddress]]);
    expect(members).toEqual(new Map([[2, addresses]]));
  });
});

describe("the replicated state machine learns names from member entries", () => {
  test("applying a member entry names a node this process never parsed", () => {
    const name = "db-from-entry";
    const node = (Bun.hash.xxHash32(name) | 0x80000000) >>> 0;
    expect(formatNodeId(node)).toBe(`n${node}`);
    // A member entry does not reach the engine, so none is needed here.
    const machine = new KeyValueMachine(undefined as unknown as Engine, 0);
    const addresses = { clientAddress: "", adminAddress: "", peerAddress: "h:1" };
    const data = encodeEntryPayload({ kind: "member", node, addresses, name });
    expect(machine.apply({ index: 1, term: 1, kind: "normal", data })).toBeUndefined();
    expect(formatNodeId(node)).toBe(name);
  });
});
