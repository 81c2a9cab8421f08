/**
 * The coordinator's formats (src/cluster/meta/coordinator_codec.ts): every command and every
 * state round-trips; the snapshot is canonical (equal states, equal bytes, whatever order they
 * were built in); an unknown version is refused as such and never read as another; every one-byte
 * change of a snapshot's header, and a sample of changes across the rest, is refused with a
 * CoordinatorCodecError or decodes to a state that keeps every invariant; every truncation is
 * refused. A machine fed such bytes keeps its state.
 */
import { describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "@msgpack/msgpack";
import fc from "fast-check";
import {
  CoordinatorCodecError, coordinatorFormatVersion, decodeCommand, decodeSnapshot, encodeCommand, encodeSnapshot,
} from "../../../src/cluster/meta/coordinator_codec.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { coordinatorStateProblem } from "../../../src/cluster/meta/state_check.ts";
import { command } from "./command_arbitraries.ts";
import { accept, bootstrapped, spec, stateBytes } from "./coordinator_fixtures.ts";

/** A state with something of everything: nodes in every state, a move at each step, a changed setting. */
async function busyMachine(): Promise<CoordinatorMachine> {
  const machine = await bootstrapped(3, 5);
  for (const id of [4, 5, 6]) await accept(machine, { kind: "addNode", node: spec(id) });
  await accept(machine, { kind: "markNode", node: 4, state: "up" });
  await accept(machine, { kind: "markNode", node: 5, state: "up" });
  await accept(machine, { kind: "markNode", node: 5, state: "draining" });
  await accept(machine, { kind: "removeNode", node: 6 });
  await accept(machine, { kind: "addLearner", shard: 1, from: 1, to: 4 });
  await accept(machine, { kind: "addLearner", shard: 3, from: 2, to: 4 });
  await accept(machine, { kind: "promote", shard: 3, node: 4 });
  await accept(machine, { kind: "setSetting", name: "replicationFactor", value: 2 });
  return machine;
}

function codecError(run: () => unknown): CoordinatorCodecError | null {
  try {
    run();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(CoordinatorCodecError);
    return error as CoordinatorCodecError;
  }
}

describe("commands", () => {
  test("every command round-trips", () => {
    fc.assert(fc.property(command, (each) => {
      expect(decodeCommand(encodeCommand(each))).toEqual(each);
    }), { numRuns: 500 });
  });

  test("another version is UNKNOWN_VERSION; other shapes are MALFORMED", () => {
    const encode = (fields: unknown[]) => new Encoder().encode(fields);
    expect(codecError(() => decodeCommand(encode([2, 4, 1])))?.code).toBe("UNKNOWN_VERSION");
    expect(codecError(() => decodeCommand(encode(["1", 4, 1])))?.code).toBe("UNKNOWN_VERSION");
    const malformed = [
      encode([coordinatorFormatVersion, 9, 1]),
      encode([coordinatorFormatVersion, 0]),
      encode([coordinatorFormatVersion, 4]),
      encode([coordinatorFormatVersion, 4, 1, 2]),
      encode([coordinatorFormatVersion, 4, "n1"]),
      encode([coordinatorFormatVersion, 2, [1, "n1", "a", "b"]]),
      encode([coordinatorFormatVersion, 8, 3, 3]),
      new Encoder().encode({ kind: "removeNode" }),
      new Uint8Array([0xc1]),
      new Uint8Array(0),
    ];
    for (const bytes of malformed) expect(codecError(() => decodeCommand(bytes))?.code).toBe("MALFORMED");
  });

  test("a malformed entry is refused alike by every replica; one of an unknown version stops the replica", async () => {
    const machine = await bootstrapped(3, 2);
    const fatal: Error[] = [];
    machine.onFatal = (error) => fatal.push(error);
    const before = stateBytes(machine);
    const garbage = { index: 2, term: 1, kind: "normal" as const, data: new Uint8Array([0x93, 1, 4, 0xc0]) };
    expect(await machine.apply(garbage)).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(fatal).toEqual([]);
    const newer = { index: 3, term: 1, kind: "normal" as const, data: new Encoder().encode([2, 4, 1]) };
    expect(await machine.apply(newer)).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(fatal.map((error) => (error as CoordinatorCodecError).code)).toEqual(["UNKNOWN_VERSION"]);
    expect(stateBytes(machine)).toEqual(before);
    expect(machine.appliedIndex).toBe(3);
  });
});

describe("snapshots", () => {
  test("a state round-trips through its snapshot, and the bytes are canonical", async () => {
    const machine = await busyMachine();
    const bytes = machine.encodedState();
    const { state, appliedIndex } = decodeSnapshot(bytes);
    expect(appliedIndex).toBe(machine.appliedIndex);
    expect(coordinatorStateProblem(state)).toBeNull();
    const restored = new CoordinatorMachine();
    await restored.restore(bytes, appliedIndex);
    expect(restored.encodedState()).toEqual(bytes);
    expect(restored.nodes()).toEqual(machine.nodes());
    expect(restored.shardMap()).toEqual(machine.shardMap());
    expect(restored.moves()).toEqual(machine.moves());
    expect(restored.settings()).toEqual(machine.settings());
    // The same state with its maps filled in another order encodes to the same bytes.
    const reversed = <K, V>(map: Map<K, V>) => new Map([...map].reverse());
    const shuffled = { ...state, nodes: reversed(state.nodes), shards: reversed(state.shards) };
    expect(encodeSnapshot(shuffled, appliedIndex)).toEqual(bytes);
  });

  test("the state before bootstrap round-trips", async () => {
    const empty = new CoordinatorMachine(7);
    const restored = new CoordinatorMachine();
    await restored.restore(empty.encodedState(), 7);
    expect(restored.bootstrapped).toBe(false);
    expect(restored.encodedState()).toEqual(empty.encodedState());
  });

  test("another version is UNKNOWN_VERSION, and a machine refuses it before changing anything", async () => {
    const machine = await busyMachine();
    const fields = [2, ...decodeSnapshotFields(machine.encodedState()).slice(1)];
    const newer = new Encoder().encode(fields);
    expect(codecError(() => decodeSnapshot(newer))?.code).toBe("UNKNOWN_VERSION");
    const target = await bootstrapped(3, 2);
    const before = target.encodedState();
    await expect(target.restore(newer, machine.appliedIndex)).rejects.toBeInstanceOf(CoordinatorCodecError);
    expect(target.encodedState()).toEqual(before);
  });

  test("a snapshot of another index than its Raft snapshot is refused", async () => {
    const machine = await busyMachine();
    const error = await machine.restore(machine.encodedState(), machine.appliedIndex + 1).catch((caught) => caught);
    expect(error).toBeInstanceOf(CoordinatorCodecError);
    expect((error as CoordinatorCodecError).code).toBe("MALFORMED");
  });

});

describe("damaged snapshots", () => {
  test("every one-byte change of the header is refused or decodes to a valid state", async () => {
    const bytes = (await busyMachine()).encodedState();
    const headerBytes = headerLength(bytes);
    let checked = 0;
    for (let offset = 0; offset < headerBytes; offset++) {
      for (let value = 0; value < 256; value++) {
        if (value === bytes[offset]) continue;
        if (!mutationRefusedOrValid(bytes, offset, value)) throw new Error(`offset ${offset} = ${value}`);
        checked++;
      }
    }
    expect(headerBytes).toBeGreaterThan(20);
    expect(checked).toBe(headerBytes * 255);
  });

  test("one-byte changes across the whole snapshot are refused or decode to a valid state", async () => {
    const bytes = (await busyMachine()).encodedState();
    for (let offset = 0; offset < bytes.length; offset++) {
      for (const mask of [0x01, 0x02, 0x10, 0x80, 0xff]) {
        expect(mutationRefusedOrValid(bytes, offset, bytes[offset]! ^ mask)).toBe(true);
      }
    }
  });

  test("every truncation is refused", async () => {
    const bytes = (await busyMachine()).encodedState();
    for (let length = 0; length < bytes.length; length++) {
      expect(codecError(() => decodeSnapshot(bytes.subarray(0, length)))).not.toBeNull();
    }
  });
});

/** The snapshot's top-level fields. */
function decodeSnapshotFields(bytes: Uint8Array): unknown[] {
  return new Decoder().decode(bytes) as unknown[];
}

/** Bytes before the node list: the version, applied index, settings and counters. */
function headerLength(bytes: Uint8Array): number {
  const fields = decodeSnapshotFields(bytes);
  const rest = new Encoder().encode(fields.slice(6));
  // The array header of 9 fields is one byte; the rest begins with the 3-element header of `rest`.
  return bytes.length - (rest.length - 1);
}

/** Whether `bytes` with `offset` set to `value` is refused (a CoordinatorCodecError) or decodes to a valid state. */
function mutationRefusedOrValid(bytes: Uint8Array, offset: number, value: number): boolean {
  const changed = bytes.slice();
  changed[offset] = value;
  let decoded;
  try {
    decoded = decodeSnapshot(changed);
  } catch (error) {
    return error instanceof CoordinatorCodecError;
  }
  if (coordinatorStateProblem(decoded.state) !== null) return false;
  // A state that decodes encodes again, and that decodes to the same.
  const again = encodeSnapshot(decoded.state, decoded.appliedIndex);
  return Bun.deepEquals(decodeSnapshot(again).state, decoded.state);
}
