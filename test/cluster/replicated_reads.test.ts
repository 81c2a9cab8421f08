/**
 * Reads through the replicated service keep their own copy of what they were asked for while
 * they wait for a read barrier: the key (and scan bounds) handed to the service are views into
 * a receive buffer, valid only until the call returns, and the buffer may be reused (a frame
 * split across reads is gathered in a reused buffer) before the barrier passes.
 */
import { describe, expect, test } from "bun:test";
import type { KeyValueDriver } from "../../src/cluster/key_value_replica.ts";
import { ReplicatedKeyValueService } from "../../src/cluster/replicated_service";
import type { ReadContext } from "../../src/net/key_value_service";
import { bytes, memoryHarness, temporaryFolder, text } from "../engine/helpers";

const strong: ReadContext = { consistency: "strong", maxStalenessMs: 0, deadlineAtMs: Infinity, trace: null };
const eventual: ReadContext = { ...strong, consistency: "eventual" };

/** A leader whose read barriers pass only when the test says so. */
function leaderWithHeldBarriers(): { driver: KeyValueDriver; passBarriers: () => void } {
  const held: Array<() => void> = [];
  const driver = {
    nodeId: 1, isLeader: () => true, leaderId: () => 1, lastLeaderContactMs: 0, removed: null,
    readBarrier: () => new Promise<void>((resolve) => held.push(resolve)),
  } as unknown as KeyValueDriver;
  return { driver, passBarriers: () => { for (const pass of held.splice(0)) pass(); } };
}

describe("replicated reads", () => {
  test("a strong get, a strong scan and a strong in-place get answer for what was asked even if the receive buffer changes meanwhile", async () => {
    await using folder = await temporaryFolder();
    const engine = await memoryHarness(folder.path).open();
    await engine.apply({ op: "put", key: bytes("k1"), value: bytes("first") });
    await engine.apply({ op: "put", key: bytes("k2"), value: bytes("second") });
    const { driver, passBarriers } = leaderWithHeldBarriers();
    const service = new ReplicatedKeyValueService(driver, engine);

    const received = bytes("..k1..");
    const get = service.get(received.subarray(2, 4), strong);
    const getAt = service.getAt(received, 2, 4, strong);
    const scan = service.scan({ prefix: received.subarray(2, 4), limit: 10 }, strong);
    received.set(bytes("k2"), 2);
    passBarriers();
    expect(text((await get)!.value)).toBe("first");
    expect(text((await getAt)!.value)).toBe("first");
    expect((await scan).entries.map((entry) => text(entry.key))).toEqual(["k1"]);

    // Without a barrier the read is served at once, from the bytes as they are.
    expect(text((service.getAt(received, 2, 4, eventual) as { value: Uint8Array }).value)).toBe("second");
    await engine.close();
  });
});
