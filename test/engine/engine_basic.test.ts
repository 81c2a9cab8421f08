/**
 * The storage engine on the memory log and on segment files: put, get, delete, cas, batches,
 * scans, limits, typed errors and concurrent applies.
 */
import { describe, expect, test } from "bun:test";
import { EngineError } from "../../src/engine/errors.ts";
import { batchCommandsMax, keySizeBytesMax, scanEntriesMax, valueSizeBytesMax } from "../../src/engine/limits.ts";
import { bytes, dump, memoryHarness, segmentedHarness, temporaryFolder, text, type EngineHarness } from "./helpers.ts";

const harnesses: Array<[string, (directory: string) => EngineHarness]> = [
  ["memory log", (directory) => memoryHarness(directory)],
  ["segmented log", (directory) => segmentedHarness(directory)],
];

describe.each(harnesses)("engine on %s", (_name, makeHarness) => {
  test("put, get, overwrite and delete with a monotonic revision", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    expect(await engine.apply({ op: "put", key: bytes("a"), value: bytes("1") })).toEqual({ op: "put", version: 1 });
    expect(await engine.apply({ op: "put", key: bytes("b"), value: bytes("2") })).toEqual({ op: "put", version: 2 });
    expect(await engine.apply({ op: "put", key: bytes("a"), value: bytes("3") })).toEqual({ op: "put", version: 3 });
    expect(text(engine.get(bytes("a"))!.value)).toBe("3");
    expect(engine.get(bytes("a"))!.version).toBe(3);
    expect(engine.get(bytes("b"))!.version).toBe(2);
    // The same key read in place from inside a larger buffer (the server's get path).
    const framed = bytes("xxaby");
    expect(engine.getAt(framed, 2, 3)).toEqual({ value: bytes("3"), version: 3 });
    expect(engine.getAt(framed, 3, 4)).toEqual({ value: bytes("2"), version: 2 });
    expect(engine.getAt(framed, 2, 4)).toBeNull();
    expect(await engine.apply({ op: "delete", key: bytes("a") })).toEqual({ op: "delete", existed: true, version: 4 });
    expect(await engine.apply({ op: "delete", key: bytes("a") })).toEqual({ op: "delete", existed: false, version: 4 });
    expect(engine.get(bytes("a"))).toBeNull();
    expect(engine.revision()).toBe(4);
    expect(engine.stats()).toMatchObject({ keys: 1, revision: 4, liveValueBytes: 1 });
    await engine.close();
  });

  test("compare-and-set: expected bytes, expected absent, and failures keep state", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    expect(await engine.apply({ op: "cas", key: bytes("k"), expected: null, value: bytes("v1") })).toEqual({ op: "cas", succeeded: true, version: 1 });
    expect(await engine.apply({ op: "cas", key: bytes("k"), expected: null, value: bytes("v2") })).toEqual({ op: "cas", succeeded: false, version: 1 });
    expect(await engine.apply({ op: "cas", key: bytes("k"), expected: bytes("nope"), value: bytes("v2") })).toEqual({ op: "cas", succeeded: false, version: 1 });
    expect(await engine.apply({ op: "cas", key: bytes("k"), expected: bytes("v1"), value: bytes("v2") })).toEqual({ op: "cas", succeeded: true, version: 2 });
    expect(await engine.apply({ op: "cas", key: bytes("absent"), expected: bytes("x"), value: bytes("y") })).toEqual({ op: "cas", succeeded: false, version: 0 });
    expect(dump(engine)).toEqual([["k", "v2", 2]]);
    expect(engine.revision()).toBe(2);
    await engine.close();
  });
});

describe.each(harnesses)("engine on %s: batches", (_name, makeHarness) => {
  test("a batch shares one revision, and a failing cas applies nothing of it", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    await engine.apply({ op: "put", key: bytes("x"), value: bytes("0") });
    const applied = await engine.apply({
      op: "batch",
      commands: [
        { op: "put", key: bytes("a"), value: bytes("1") },
        { op: "cas", key: bytes("x"), expected: bytes("0"), value: bytes("1") },
        { op: "delete", key: bytes("missing") },
        { op: "cas", key: bytes("a"), expected: bytes("1"), value: bytes("2") },
      ],
    });
    expect(applied).toEqual({
      op: "batch",
      succeeded: true,
      version: 2,
      results: [
        { op: "put", version: 2 },
        { op: "cas", succeeded: true, version: 2 },
        { op: "delete", existed: false, version: 2 },
        { op: "cas", succeeded: true, version: 2 },
      ],
    });
    expect(dump(engine)).toEqual([["a", "2", 2], ["x", "1", 2]]);
    const refused = await engine.apply({
      op: "batch",
      commands: [
        { op: "put", key: bytes("b"), value: bytes("new") },
        { op: "delete", key: bytes("a") },
        { op: "cas", key: bytes("x"), expected: bytes("wrong"), value: bytes("2") },
      ],
    });
    expect(refused.op === "batch" && refused.succeeded).toBe(false);
    expect(refused.version).toBe(2);
    expect(dump(engine)).toEqual([["a", "2", 2], ["x", "1", 2]]);
    expect(engine.revision()).toBe(2);
    // A cas that held in a batch that failed is reported failed with the key's version, as any failed cas.
    const heldThenRefused = await engine.apply({
      op: "batch",
      commands: [
        { op: "cas", key: bytes("x"), expected: bytes("1"), value: bytes("3") },
        { op: "cas", key: bytes("x"), expected: null, value: bytes("4") },
      ],
    });
    expect(heldThenRefused).toEqual({
      op: "batch", succeeded: false, version: 2,
      results: [{ op: "cas", succeeded: false, version: 2 }, { op: "cas", succeeded: false, version: 2 }],
    });
    await engine.close();
  });
});

describe.each(harnesses)("engine on %s: bad input and scans", (_name, makeHarness) => {
  test("bad input gets typed errors and changes nothing", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    await engine.apply({ op: "put", key: bytes("keep"), value: bytes("me") });
    const cases: Array<[unknown, string]> = [
      [{ op: "put", key: new Uint8Array(0), value: bytes("v") }, "INVALID_REQUEST"],
      [{ op: "put", key: new Uint8Array(keySizeBytesMax + 1), value: bytes("v") }, "TOO_LARGE"],
      [{ op: "put", key: bytes("k"), value: new Uint8Array(valueSizeBytesMax + 1) }, "TOO_LARGE"],
      [{ op: "put", key: "text", value: bytes("v") }, "INVALID_REQUEST"],
      [{ op: "frobnicate", key: bytes("k") }, "INVALID_REQUEST"],
      [{ op: "batch", commands: [{ op: "put", key: bytes("ok"), value: bytes("v") }, { op: "delete", key: new Uint8Array(0) }] }, "INVALID_REQUEST"],
      [{ op: "batch", commands: [{ op: "batch", commands: [] }] }, "INVALID_REQUEST"],
      [null, "INVALID_REQUEST"],
    ];
    for (const [command, code] of cases) {
      const failure = await engine.apply(command as never).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EngineError);
      expect((failure as EngineError).code).toBe(code as EngineError["code"]);
    }
    expect(() => engine.get(new Uint8Array(0))).toThrow(EngineError);
    expect(() => engine.getAt(bytes("abc"), 1, 1)).toThrow(EngineError);
    expect(() => engine.getAt(new Uint8Array(keySizeBytesMax + 2), 1, keySizeBytesMax + 2)).toThrow("over keySizeBytesMax");
    expect(() => engine.scan({ limit: 0 })).toThrow(EngineError);
    expect(dump(engine)).toEqual([["keep", "me", 1]]);
    expect(engine.revision()).toBe(1);
    const maximal = await engine.apply({ op: "put", key: new Uint8Array(keySizeBytesMax).fill(7), value: new Uint8Array(valueSizeBytesMax).fill(9) });
    expect(maximal).toEqual({ op: "put", version: 2 });
    expect(engine.get(new Uint8Array(keySizeBytesMax).fill(7))!.value.length).toBe(valueSizeBytesMax);
    await engine.close();
  });

  test("scan: bytewise order, prefix, start/end, limit and cursor", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    const keys = ["a", "ab", "abc", "b", "b\u0000", "ba", "c"].map(bytes);
    keys.push(new Uint8Array([0x61, 0xff]), new Uint8Array([0x61, 0x80]));
    for (const key of keys) await engine.apply({ op: "put", key, value: key });
    const list = (options: Parameters<typeof engine.scan>[0]) => engine.scan(options).entries.map((entry) => Array.from(entry.key));
    expect(list({ limit: 100 })).toEqual(
      [[0x61], [0x61, 0x62], [0x61, 0x62, 0x63], [0x61, 0x80], [0x61, 0xff], [0x62], [0x62, 0], [0x62, 0x61], [0x63]],
    );
    expect(list({ limit: 100, prefix: bytes("a") }).length).toBe(5);
    expect(list({ limit: 100, prefix: bytes("ab") })).toEqual([[0x61, 0x62], [0x61, 0x62, 0x63]]);
    expect(list({ limit: 100, start: bytes("ab"), end: bytes("b") })).toEqual([[0x61, 0x62], [0x61, 0x62, 0x63], [0x61, 0x80], [0x61, 0xff]]);
    const first = engine.scan({ limit: 2, prefix: bytes("b") });
    expect(first.entries.map((entry) => Array.from(entry.key))).toEqual([[0x62], [0x62, 0]]);
    expect(first.nextCursor).not.toBeNull();
    const second = engine.scan({ limit: 2, prefix: bytes("b"), cursor: first.nextCursor! });
    expect(second.entries.map((entry) => Array.from(entry.key))).toEqual([[0x62, 0x61]]);
    expect(second.nextCursor).toBeNull();
    await engine.close();
  });
});

describe.each(harnesses)("engine on %s: scan pages, raft index, concurrency", (_name, makeHarness) => {
  test("a scan page is capped at scanEntriesMax and resumes with its cursor", async () => {
    await using folder = await temporaryFolder();
    const engine = await makeHarness(folder.path).open();
    const keysCount = scanEntriesMax + 5;
    for (let start = 0; start < keysCount; start += batchCommandsMax) {
      const commands = Array.from({ length: Math.min(batchCommandsMax, keysCount - start) }, (_, offset) => ({
        op: "put" as const,
        key: bytes(`k/${String(start + offset).padStart(6, "0")}`),
        value: bytes("v"),
      }));
      await engine.apply({ op: "batch", commands });
    }
    const first = engine.scan({ limit: 1_000_000 });
    expect(first.entries.length).toBe(scanEntriesMax);
    const rest = engine.scan({ limit: 1_000_000, cursor: first.nextCursor! });
    expect(rest.entries.map((entry) => text(entry.key))).toEqual(Array.from({ length: 5 }, (_, offset) => `k/${String(scanEntriesMax + offset).padStart(6, "0")}`));
    expect(rest.nextCursor).toBeNull();
    await engine.close();
  });

  test("applied raft index is kept, persisted and must advance", async () => {
    await using folder = await temporaryFolder();
    const harness = makeHarness(folder.path);
    let engine = await harness.open();
    await engine.apply({ op: "put", key: bytes("a"), value: bytes("1") }, { raftIndex: 5 });
    // A command that changes nothing still records its raft index.
    await engine.apply({ op: "delete", key: bytes("missing") }, { raftIndex: 6 });
    expect(engine.appliedRaftIndex()).toBe(6);
    const stale = await engine.apply({ op: "put", key: bytes("a"), value: bytes("2") }, { raftIndex: 6 }).catch((error: unknown) => error);
    expect((stale as EngineError).code).toBe("INVALID_REQUEST");
    engine = await harness.restart(engine);
    expect(engine.appliedRaftIndex()).toBe(6);
    expect(engine.revision()).toBe(1);
    await engine.close();
  });

  test("concurrent applies all land with distinct revisions", async () => {
    await using folder = await temporaryFolder();
    const harness = makeHarness(folder.path);
    let engine = await harness.open();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, position) => engine.apply({ op: "put", key: bytes(`k${position % 50}`), value: bytes(`${position}`) })),
    );
    expect(results.map((result) => result.version).sort((left, right) => left - right)).toEqual(Array.from({ length: 200 }, (_, position) => position + 1));
    engine = await harness.restart(engine);
    expect(engine.stats().keys).toBe(50);
    expect(text(engine.get(bytes("k49"))!.value)).toBe("199");
    expect(engine.get(bytes("k49"))!.version).toBe(200);
    await engine.close();
  });
});
