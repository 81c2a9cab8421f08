/** Engine snapshots: export and install into a fresh engine, durable; damaged streams refused. */
import { describe, expect, test } from "bun:test";
import { EngineError } from "../../src/engine/errors.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { bytes, dump, segmentedHarness, slowTestTimeoutMilliseconds, temporaryFolder } from "./helpers.ts";

async function exportAll(engine: Engine): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of engine.exportSnapshot()) chunks.push(chunk.slice());
  return chunks;
}

async function fillSource(engine: Engine): Promise<void> {
  for (let step = 0; step < 3000; step++) {
    const value = bytes(`value-${step}-`.padEnd(step % 7 === 0 ? 20_000 : 1000, "v"));
    await engine.apply({ op: "put", key: bytes(`user/${step % 1500}`), value }, { raftIndex: step + 1 });
  }
  await engine.apply({ op: "delete", key: bytes("user/7") }, { raftIndex: 3001 });
}

describe("engine snapshots", () => {
  test("export and install round trip into a fresh engine, durable across restart", async () => {
    await using sourceFolder = await temporaryFolder();
    await using targetFolder = await temporaryFolder();
    const source = await segmentedHarness(sourceFolder.path, 256 * 1024).open();
    await fillSource(source);
    const chunks = await exportAll(source);
    expect(chunks.length).toBeGreaterThan(3);
    const targetHarness = segmentedHarness(targetFolder.path, 64 * 1024);
    let target = await targetHarness.open();
    await target.apply({ op: "put", key: bytes("only/in/target"), value: bytes("gone after install") });
    const report = await target.installSnapshot(chunks);
    expect(report).toEqual({ entriesInstalled: 1499, revision: source.revision(), raftIndex: 3001 });
    expect(dump(target)).toEqual(dump(source));
    expect(target.revision()).toBe(source.revision());
    expect(target.appliedRaftIndex()).toBe(3001);
    target = await targetHarness.restart(target);
    expect(dump(target)).toEqual(dump(source));
    expect(target.appliedRaftIndex()).toBe(3001);
    expect(await target.apply({ op: "put", key: bytes("after"), value: bytes("x") }, { raftIndex: 3002 })).toEqual({ op: "put", version: source.revision() + 1 });
    await Promise.all([source.close(), target.close()]);
  }, slowTestTimeoutMilliseconds);

  test("a damaged or incomplete stream is refused and leaves the state as it was", async () => {
    await using sourceFolder = await temporaryFolder();
    await using targetFolder = await temporaryFolder();
    const source = await segmentedHarness(sourceFolder.path, 256 * 1024).open();
    await fillSource(source);
    const chunks = await exportAll(source);
    await source.close();
    const targetHarness = segmentedHarness(targetFolder.path, 64 * 1024);
    let target = await targetHarness.open();
    await target.apply({ op: "put", key: bytes("mine"), value: bytes("kept") });
    const flipped = chunks.map((chunk) => chunk.slice());
    flipped[2][100] ^= 1;
    const streams = [flipped, chunks.slice(0, -1), chunks.slice(1), [chunks[0], chunks[0], ...chunks.slice(1)]];
    for (const stream of streams) {
      const failure = await target.installSnapshot(stream).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EngineError);
      expect((failure as EngineError).code).toBe("INVALID_REQUEST");
      expect(dump(target)).toEqual([["mine", "kept", 1]]);
    }
    target = await targetHarness.restart(target);
    expect(dump(target)).toEqual([["mine", "kept", 1]]);
    await target.close();
  }, slowTestTimeoutMilliseconds);
});
