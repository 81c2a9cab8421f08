/**
 * The client port's data limits are the engine's (src/net/limits.ts takes them from
 * src/engine/limits.ts): they cannot be raised past the engine's; at the largest key and value
 * the port allows, the engine stores the write; one byte more of either is TOO_LARGE from the
 * server's request decoder, before any service sees the request. Over real sockets on 127.0.0.1.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serverLimitsFor } from "../../src/cli/server_limits.ts";
import { defaultConfig } from "../../src/config/load.ts";
import { Engine } from "../../src/engine/engine.ts";
import * as engineLimits from "../../src/engine/limits.ts";
import { limitDefinitions, resolveLimits, type ServerLimits } from "../../src/net/limits.ts";
import type { Command } from "../../src/engine/types.ts";
import { MemoryService } from "./memory_service.ts";
import { serverPerTest } from "./per_test_server.ts";
import { bytes, request, wireFrame } from "./wire_fixtures.ts";

const servers = serverPerTest();
const root = mkdtempSync(join(tmpdir(), "filestore-data-limits-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const kibibyte = 1024;
const mebibyte = 1024 * kibibyte;
const write = (id: number, command: Command) => wireFrame(request(id, { kind: "write", command }));

/** As many puts as allowed, each with the largest key, their values together the largest value. */
function largestBatch(keySizeBytesMax: number, valueSizeBytesMax: number, operationsMax: number) {
  const valueBytes = Math.floor(valueSizeBytesMax / operationsMax);
  return Array.from({ length: operationsMax }, (_, index) => {
    const key = new Uint8Array(keySizeBytesMax).fill(0x62);
    new DataView(key.buffer).setUint32(0, index);
    return { op: "put" as const, key, value: new Uint8Array(valueBytes).fill(index % 256) };
  });
}

test("each data limit of the port is the engine's by default and cannot be raised past it", () => {
  const defaults = resolveLimits();
  expect({
    key: defaults.keySizeBytesMax, value: defaults.valueSizeBytesMax,
    batch: defaults.batchOperationsMax, scan: defaults.scanPageEntriesMax,
  }).toEqual({
    key: engineLimits.keySizeBytesMax, value: engineLimits.valueSizeBytesMax,
    batch: engineLimits.batchCommandsMax, scan: engineLimits.scanEntriesMax,
  });
  const raised: Array<[keyof ServerLimits, number]> = [
    ["keySizeBytesMax", engineLimits.keySizeBytesMax + 1],
    ["valueSizeBytesMax", engineLimits.valueSizeBytesMax + 1],
    ["batchOperationsMax", engineLimits.batchCommandsMax + 1],
    ["scanPageEntriesMax", engineLimits.scanEntriesMax + 1],
  ];
  for (const [name, value] of raised) {
    const overrides = { [name]: value, frameSizeBytesMax: 64 * mebibyte };
    expect(() => resolveLimits(overrides)).toThrow(`limit ${name}: ${value} is outside`);
  }
});

test("at the largest key, value and batch the port allows, the engine stores the write", async () => {
  const engine = await Engine.open({ dir: join(root, "largest"), fsync: "unsafe-no-fsync", autoCompaction: false });
  try {
    const keySizeBytesMax = limitDefinitions.keySizeBytesMax.max;
    const valueSizeBytesMax = limitDefinitions.valueSizeBytesMax.max;
    const limits = { keySizeBytesMax, valueSizeBytesMax, batchOperationsMax: limitDefinitions.batchOperationsMax.max };
    const server = await servers.start({ service: engine, limits });
    const raw = await servers.client(server.port);
    const key = new Uint8Array(keySizeBytesMax).fill(0x6b);
    await raw.sendAll(write(1, { op: "put", key, value: new Uint8Array(valueSizeBytesMax).fill(0x76) }));
    const stored = { kind: "write" as const, outcome: { applied: true, version: 1 } };
    expect(await raw.reply(1)).toEqual({ status: "OK", message: "", leaderHint: "", result: stored });
    expect(engine.get(key)?.value.length).toBe(valueSizeBytesMax);
    const commands = largestBatch(keySizeBytesMax, valueSizeBytesMax, limitDefinitions.batchOperationsMax.max);
    await raw.sendAll(write(2, { op: "batch", commands }));
    expect((await raw.reply(2)).status).toBe("OK");
    const oneTooMany = [...commands, { op: "delete" as const, key: bytes("k") }];
    await raw.sendAll(write(3, { op: "batch", commands: oneTooMany }));
    const overCount = `BatchRequest field 0 holds ${commands.length + 1} tables, over ${commands.length}`;
    expect(await raw.reply(3)).toMatchObject({ status: "TOO_LARGE", message: overCount });
    expect(engine.get(bytes("k"))).toBeNull();
  } finally {
    await servers.close();
    await engine.close();
  }
});

test("a 5 KiB key or a 9 MiB value is TOO_LARGE from the decoder: the service never sees it", async () => {
  const service = new MemoryService();
  // The limits a node started by `filestore serve` with the default configuration runs with.
  const server = await servers.start({ service, limits: serverLimitsFor(defaultConfig()) });
  const raw = await servers.client(server.port);
  const longKey = new Uint8Array(5 * kibibyte).fill(0x6b);
  const largeValue = new Uint8Array(9 * mebibyte);
  await raw.sendAll(write(1, { op: "put", key: longKey, value: bytes("v") }));
  await raw.sendAll(write(2, { op: "put", key: bytes("k"), value: largeValue }));
  await raw.sendAll(write(3, { op: "cas", key: bytes("k"), expected: null, value: largeValue }));
  await raw.sendAll(write(4, { op: "batch", commands: [{ op: "delete", key: longKey }] }));
  await raw.sendAll(wireFrame(request(5, { kind: "get", key: longKey })));
  const refusals = [];
  for (let id = 1; id <= 5; id++) {
    const reply = await raw.reply(id);
    refusals.push([reply.status, reply.message]);
  }
  expect(refusals).toEqual([
    ["TOO_LARGE", "key is 5120 bytes, over the 4096-byte limit"],
    ["TOO_LARGE", "value is 9437184 bytes, over the 8388608-byte limit"],
    ["TOO_LARGE", "value is 9437184 bytes, over the 8388608-byte limit"],
    ["TOO_LARGE", "batch operation 0 key is 5120 bytes, over the 4096-byte limit"],
    ["TOO_LARGE", "key is 5120 bytes, over the 4096-byte limit"],
  ]);
  expect(service.applyStarted).toBe(0);
});
