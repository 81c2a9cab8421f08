/**
 * A service that deduplicates writes itself (a replicated state machine) gets each write's
 * identity and deadline from the server, and the server's own table stays out of the way.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, type FileStore } from "../../src/client/index";
import type { Command, CommandResult } from "../../src/engine/types";
import type { WriteContext } from "../../src/net/key_value_service";
import { startServer, type RunningServer } from "../../src/net/server";
import { MemoryService } from "./memory_service";

class IdentifyingService extends MemoryService {
  readonly contexts: Array<{ sessionId: Uint8Array | null; sequence: number; deadlineAtMs: number }> = [];
  plainApplies = 0;

  override apply(command: Command): Promise<CommandResult> {
    this.plainApplies++;
    return super.apply(command);
  }

  applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
    // The identity is a view into the receive buffer, like the command: copy before awaiting.
    this.contexts.push({ sessionId: context.sessionId?.slice() ?? null, sequence: context.sequence, deadlineAtMs: context.deadlineAtMs });
    return super.apply(command);
  }
}

let server: RunningServer | undefined;
let db: FileStore | undefined;
afterEach(async () => {
  await db?.close();
  await server?.close();
});

test("identified writes reach applyWithContext with session, sequence and deadline", async () => {
  const service = new IdentifyingService();
  server = await startServer({ host: "127.0.0.1", port: 0, service, logError: () => {} });
  db = await connect(`127.0.0.1:${server.port}`, { timeoutMs: 5000 });
  const before = performance.now();
  await db.put("a", "1");
  await db.cas("a", "1", "2");
  await db.delete("a");

  expect(service.plainApplies).toBe(0);
  expect(service.contexts.length).toBe(3);
  const [first, second, third] = service.contexts;
  expect(first!.sessionId).not.toBeNull();
  expect(second!.sessionId).toEqual(first!.sessionId);
  expect(third!.sessionId).toEqual(first!.sessionId);
  expect([first!.sequence, second!.sequence, third!.sequence].every((sequence) => sequence > 0)).toBe(true);
  expect(new Set([first!.sequence, second!.sequence, third!.sequence]).size).toBe(3);
  for (const context of service.contexts) {
    expect(Number.isFinite(context.deadlineAtMs)).toBe(true);
    expect(context.deadlineAtMs).toBeGreaterThan(before);
  }
  expect(await db.get("a")).toBeNull();
});
