/** The write deduplication table: first outcome returned again, bounded per session and in sessions. */
import { describe, expect, test } from "bun:test";
import { errorReply, type Reply } from "../../src/net/messages";
import { WriteDeduplicator } from "../../src/net/write_deduplicator";
import { bytes } from "./wire_fixtures";

const ok = (version: number): Reply => ({ status: "OK", message: "", leaderHint: "", result: { kind: "write", outcome: { applied: true, version } } });

describe("write deduplicator", () => {
  test("a repeated (session, sequence) returns the first outcome without applying", async () => {
    const table = new WriteDeduplicator(10, 10);
    let applied = 0;
    const apply = () => Promise.resolve(ok(++applied));
    const first = table.findOrApply(bytes("s1"), 1, 0, apply);
    const again = table.findOrApply(bytes("s1"), 1, 0, apply);
    expect(again).toBe(first);
    expect(applied).toBe(1);
    expect(await (table.findOrApply(bytes("s2"), 1, 0, apply) as Promise<Reply>)).toEqual(ok(2));
  });

  test("outcomes past the per-session bound are forgotten and say so", async () => {
    const table = new WriteDeduplicator(10, 3);
    for (let sequence = 1; sequence <= 5; sequence++) table.findOrApply(bytes("s"), sequence, 0, () => Promise.resolve(ok(sequence)));
    expect(table.findOrApply(bytes("s"), 1, 0, () => Promise.resolve(errorReply("INTERNAL", "applied again")))).toBe("forgotten");
    expect(table.findOrApply(bytes("s"), 2, 0, () => Promise.resolve(errorReply("INTERNAL", "applied again")))).toBe("forgotten");
    expect(await (table.findOrApply(bytes("s"), 4, 0, () => Promise.resolve(errorReply("INTERNAL", "applied again"))) as Promise<Reply>)).toEqual(ok(4));
  });

  test("sessions past the bound are dropped least recently used first", () => {
    const table = new WriteDeduplicator(2, 10);
    const apply = () => Promise.resolve(ok(1));
    table.findOrApply(bytes("a"), 1, 0, apply);
    table.findOrApply(bytes("b"), 1, 0, apply);
    table.findOrApply(bytes("a"), 2, 0, apply);
    table.findOrApply(bytes("c"), 1, 0, apply);
    expect(table.sessionCount).toBe(2);
    let reapplied = false;
    table.findOrApply(bytes("b"), 1, 0, () => { reapplied = true; return apply(); });
    expect(reapplied).toBe(true);
  });

  test("outcomes below the client's oldest pending write are forgotten at once", async () => {
    const table = new WriteDeduplicator(10, 100);
    const reapply = () => Promise.resolve(errorReply("INTERNAL", "applied again"));
    for (let sequence = 1; sequence <= 5; sequence++) table.findOrApply(bytes("s"), sequence, 1, () => Promise.resolve(ok(sequence)));
    // Write 6 says the client still waits for 4 and 5 (and 6), so 1..3 are forgotten.
    table.findOrApply(bytes("s"), 6, 4, () => Promise.resolve(ok(6)));
    expect(table.findOrApply(bytes("s"), 3, 3, reapply)).toBe("forgotten");
    expect(await (table.findOrApply(bytes("s"), 4, 4, reapply) as Promise<Reply>)).toEqual(ok(4));
    expect(await (table.findOrApply(bytes("s"), 6, 4, reapply) as Promise<Reply>)).toEqual(ok(6));
    // An older watermark on a late resend changes nothing.
    expect(await (table.findOrApply(bytes("s"), 5, 2, reapply) as Promise<Reply>)).toEqual(ok(5));
  });
});
