/**
 * The key-value snapshot codec (src/cluster/key_value_snapshot.ts): what a key-value machine
 * snapshots decodes back to the same state; a snapshot of an unknown version is refused with a
 * typed error wherever one is read (decode, a leader's snapshot installed, a stored one at start)
 * and changes nothing; and every one-byte change of a snapshot is either refused with the typed
 * error or decodes to a well-formed snapshot, never to a crash or a half-read one.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "@msgpack/msgpack";
import { encodeEntryPayload } from "../../src/cluster/entry_payload_codec.ts";
import { KeyValueMachine } from "../../src/cluster/key_value_machine.ts";
import {
  decodeKeyValueSnapshot,
  encodeKeyValueSnapshot,
  KeyValueSnapshotError,
  keyValueSnapshotVersion,
  type KeyValueSnapshot,
} from "../../src/cluster/key_value_snapshot.ts";
import { restoreKeyValueMachine } from "../../src/cluster/key_value_start.ts";
import { MemoryRaftStorage } from "../../src/cluster/storage/memory_raft_storage.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { bytes, memoryHarness } from "../engine/helpers.ts";

const opened: Engine[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close();
});

async function openEngine(): Promise<Engine> {
  const engine = await memoryHarness("/nonexistent-filestore-snapshot-test").open();
  opened.push(engine);
  return engine;
}

function member(node: number, suffix: string): Uint8Array {
  const addresses = { clientAddress: `c:${suffix}`, adminAddress: `a:${suffix}`, peerAddress: `p:${suffix}` };
  return encodeEntryPayload({ kind: "member", node, addresses });
}

/** A key-value machine with two keys, one remembered session outcome and two members, and its snapshot. */
async function machineWithSnapshot(): Promise<{ machine: KeyValueMachine; data: Uint8Array }> {
  const machine = new KeyValueMachine(await openEngine(), 0);
  const entries = [
    member(7, "1"),
    encodeEntryPayload({ kind: "write", identity: null, command: { op: "put", key: bytes("k1"), value: bytes("v1") } }),
    encodeEntryPayload({
      kind: "write",
      identity: { sessionId: bytes("s"), sequence: 1, oldestPendingSequence: 1 },
      command: { op: "put", key: bytes("k2"), value: bytes("v2") },
    }),
    member(9, "2"),
  ];
  for (const [offset, data] of entries.entries()) {
    await machine.apply({ index: offset + 1, term: 1, kind: "normal", data });
  }
  const taken = await machine.snapshot();
  return { machine, data: await taken.data };
}

/** The snapshot's fields with another version number, as a node of another version would write it. */
function withVersion(data: Uint8Array, version: number): Uint8Array {
  const fields = new Decoder().decode(data) as unknown[];
  return new Encoder().encode([version, ...fields.slice(1)]);
}

function refusal(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    if (error instanceof KeyValueSnapshotError) return error.code;
    throw error;
  }
  return "decoded";
}

describe("key-value snapshot codec", () => {
  test("a machine's snapshot decodes to its state and restores into another machine", async () => {
    const { machine, data } = await machineWithSnapshot();
    const snapshot = decodeKeyValueSnapshot(data);
    expect(snapshot.appliedIndex).toBe(4);
    expect(snapshot.engineIndex).toBe(3);
    expect(snapshot.members.map(([id, client]) => [id, client])).toEqual([[7, "c:1"], [9, "c:2"]]);
    expect(snapshot.sessions.lookup(bytes("s"), 1)).toEqual({ kind: "applied", outcome: { op: "put", version: 2 } });
    const other = new KeyValueMachine(await openEngine(), 0);
    await other.restore(data, 4);
    expect(other.appliedIndex).toBe(4);
    expect(other.members).toEqual(machine.members);
    expect(new TextDecoder().decode(other.engine.get(bytes("k2"))!.value)).toBe("v2");
    expect(other.sessions.lookup(bytes("s"), 1).kind).toBe("applied");
  });

  test("a snapshot of an unknown version is refused with UNKNOWN_VERSION, by decode, restore and start", async () => {
    const { data } = await machineWithSnapshot();
    for (const version of [0, keyValueSnapshotVersion + 1, 255]) {
      expect(refusal(() => decodeKeyValueSnapshot(withVersion(data, version)))).toBe("UNKNOWN_VERSION");
    }
    const future = withVersion(data, keyValueSnapshotVersion + 1);
    const target = new KeyValueMachine(await openEngine(), 0);
    await target.engine.apply({ op: "put", key: bytes("mine"), value: bytes("kept") });
    const unknownVersion = { name: "KeyValueSnapshotError", code: "UNKNOWN_VERSION" };
    await expect(target.restore(future, 4)).rejects.toMatchObject(unknownVersion);
    expect(target.appliedIndex).toBe(0);
    expect(target.engine.get(bytes("mine"))).not.toBeNull();
    const storage = new MemoryRaftStorage({ voters: [1], learners: [] });
    const metadata = { index: 4, term: 1, confState: { voters: [1], learners: [] } };
    await storage.persist({ entries: [], snapshot: { metadata, data: future } });
    const starting = restoreKeyValueMachine(await openEngine(), storage, silentLogger);
    await expect(starting).rejects.toMatchObject(unknownVersion);
  });

  test("a snapshot whose index differs from its Raft snapshot's is refused", async () => {
    const { data } = await machineWithSnapshot();
    const target = new KeyValueMachine(await openEngine(), 0);
    await expect(target.restore(data, 5)).rejects.toMatchObject({ code: "MALFORMED" });
  });

  test("every one-byte change of the header is refused (typed error) or decodes well-formed", async () => {
    const { data } = await machineWithSnapshot();
    const header = data.subarray(0, headerBytes(data));
    expect(header.length).toBeGreaterThan(4);
    const outcomes = mutationOutcomes(data, header.length, Array.from({ length: 256 }, (_, value) => value));
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.decoded).toBeGreaterThan(0);
  });

  test("so is a change of any other byte to a value of a sample (msgpack type bytes, bit flips)", async () => {
    const { data } = await machineWithSnapshot();
    const outcomes = mutationOutcomes(data, data.length, sampleValues);
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.decoded).toBeGreaterThan(0);
  });
});

/** nil, false, true, empty and long array, bin8, str8, fixint 0 and -1, and bit flips of the byte's own value. */
const sampleValues = [0xc0, 0xc2, 0xc3, 0x90, 0xdc, 0xc4, 0xd9, 0x00, 0xff, 0x7f, 0x80];
const flips = [0x01, 0x10, 0x80];

/** Bytes before the first engine chunk's content: the msgpack framing of the version, index and chunk list. */
function headerBytes(data: Uint8Array): number {
  const firstChunk = decodeKeyValueSnapshot(data).engineChunks[0]!;
  const magic = firstChunk.subarray(0, 8);
  for (let offset = 0; offset + magic.length <= data.length; offset++) {
    if (magic.every((byte, i) => data[offset + i] === byte)) return offset;
  }
  throw new Error("the engine stream's first chunk is not in the snapshot");
}

/** Changes each of the first `upTo` bytes to each of `values` (and bit flips of it) and decodes. */
function mutationOutcomes(data: Uint8Array, upTo: number, values: number[]): { refused: number; decoded: number } {
  const outcomes = { refused: 0, decoded: 0 };
  for (let offset = 0; offset < upTo; offset++) {
    const candidates = new Set([...values, ...flips.map((flip) => data[offset]! ^ flip)]);
    candidates.delete(data[offset]!);
    for (const value of candidates) {
      const changed = data.slice();
      changed[offset] = value;
      let snapshot: KeyValueSnapshot;
      try {
        snapshot = decodeKeyValueSnapshot(changed);
      } catch (error) {
        if (!(error instanceof KeyValueSnapshotError)) throw new Error(`byte ${offset} = ${value}: ${String(error)}`);
        outcomes.refused++;
        continue;
      }
      outcomes.decoded++;
      expectWellFormed(snapshot);
    }
  }
  return outcomes;
}

/** Encoding a decoded snapshot again gives one that decodes to the same. */
function expectWellFormed(snapshot: KeyValueSnapshot): void {
  const again = decodeKeyValueSnapshot(encodeKeyValueSnapshot({ ...snapshot, sessions: snapshot.sessions.encode() }));
  expect(again.appliedIndex).toBe(snapshot.appliedIndex);
  expect(again.engineIndex).toBeLessThanOrEqual(again.appliedIndex);
  expect(again.members).toEqual(snapshot.members);
  expect(again.sessions.encode()).toEqual(snapshot.sessions.encode());
}
